"""liaison_client against a live liaisond (live_server.py): a desk publishes,
a partner system follows its consumer over the WebSocket stream, survives a
server crash, and an auditor finds the alerts in the history.

Each test addresses its alerts to a member of its own, so that the tests of
this module do not see each other's alerts."""

import asyncio
import json
import unittest
import uuid

import liaison_client as lc
from live_server import LiveServer, eventually

server = None


def setUpModule():
    global server
    server = LiveServer().start()


def tearDownModule():
    server.stop()


def client(identity):
    return lc.Client(server.https, server.identity(identity))


async def take(stream, n, timeout=30):
    """The next n deliveries of `stream`; fails the test after `timeout`
    seconds for each."""
    return [await asyncio.wait_for(anext(stream), timeout) for _ in range(n)]


async def settled(condition, timeout=30):
    """eventually(condition) off the event loop: True once it holds."""
    return bool(await asyncio.to_thread(eventually, condition, timeout))


def stored_ack(consumer):
    """The highest seq the audit log records as acknowledged for `consumer`
    (consumer.ack rows), or 0."""
    rows = client("auditor").get("/v1/audit", justification="client test: stored acks",
                                 params={"action": "consumer.ack", "subject": consumer})
    details = [r["detail"] if isinstance(r["detail"], dict) else json.loads(r["detail"])
               for r in rows["entries"]]
    return max((d["up_to_seq"] for d in details), default=0)


class StreamTest(unittest.IsolatedAsyncioTestCase):
    async def test_partner_receives_acknowledges_and_resumes_after_its_cursor(self):
        at, hu = client("AT/desk"), client("partner-HU")
        # Step 1: Austria publishes three alerts to Hungary.
        sent = [at.publish("HU", f"resume {i}", body="seen at Nickelsdorf") for i in range(3)]
        self.assertEqual([r.seq for r in sent], sorted(r.seq for r in sent))

        # Step 2: Hungary's partner system receives all three and acknowledges two.
        async with hu.stream("hu-resume") as stream:
            got = await take(stream, 3)
            self.assertEqual([d.seq for d in got], [r.seq for r in sent])
            self.assertEqual([d.alert.id for d in got], [r.id for r in sent])
            self.assertEqual(got[0].alert.origin, "AT")
            self.assertEqual(got[0].alert.subject, "resume 0")
            self.assertEqual(got[0].recipients, ["HU"])
            self.assertEqual(stream.welcome.principal, "HU.partner")
            with self.assertRaises(ValueError):
                await stream.ack(got[-1].seq + 1)  # not handed over: never acknowledged
            await stream.ack(got[1].seq)
        # The server stores an acknowledgement shortly after receiving it.
        self.assertTrue(await settled(lambda: stored_ack("hu-resume") == got[1].seq))

        # Step 3: one more arrives while it is away.
        sent.append(at.publish("HU", "resume 3"))

        # Step 4: a new stream resumes after the cursor: the unacknowledged
        # one, then the new one; nothing acknowledged comes again.
        async with hu.stream("hu-resume") as stream:
            again = await take(stream, 2)
            self.assertEqual(stream.subscribed.cursor, got[1].seq)
            self.assertEqual([d.seq for d in again], [sent[2].seq, sent[3].seq])

    async def test_a_server_crash_loses_nothing_and_repeats_nothing(self):
        at, rs = client("AT/desk"), client("RS/desk")
        sent = [at.publish("RS", f"before crash {i}") for i in range(2)]
        stream = rs.stream("rs-crash")
        try:
            # Step 1: both arrive; the first is acknowledged.
            got = await take(stream, 2)
            await stream.ack(got[0].seq)
            self.assertTrue(await settled(lambda: stored_ack("rs-crash") == got[0].seq))

            # Step 2: the server dies; the second is acknowledged meanwhile.
            await asyncio.to_thread(server.kill9)
            await stream.ack(got[1].seq)

            # Step 3: it comes back on the same address; two more are published.
            await asyncio.to_thread(server.run_liaisond, same_ports=True)
            sent += [await asyncio.to_thread(at.publish, "RS", f"after crash {i}")
                     for i in range(2)]

            # Step 4: the same stream reconnects by itself and hands over the
            # two new ones, and only those.
            got += await take(stream, 2, timeout=90)
            self.assertEqual([d.seq for d in got], [r.seq for r in sent])
            # The acknowledgement given while the server was down was sent
            # after the reconnect.
            self.assertTrue(await settled(lambda: stored_ack("rs-crash") >= got[1].seq))
            await stream.ack(got[-1].seq)
            self.assertTrue(await settled(lambda: stored_ack("rs-crash") == got[-1].seq))
        finally:
            await stream.close()

    async def test_json_subprotocol_delivers_the_same_alerts(self):
        at, si = client("AT/desk"), client("SI/desk")
        sent = at.publish("SI", "over json", entities=[("PHONE", "+386 1 234 5678")])
        async with si.stream("si-json", subprotocol=lc.JSON) as stream:
            (d,) = await take(stream, 1)
            self.assertEqual((d.seq, d.alert.id), (sent.seq, sent.id))
            self.assertEqual(d.alert.entities[0].value, "+386 1 234 5678")
            await stream.ack(d.seq)

    async def test_one_connection_holds_a_consumer_unless_another_takes_it_over(self):
        at, sk = client("AT/desk"), client("SK/desk")
        first = at.publish("SK", "held")
        holder = sk.stream("sk-held")
        try:
            (d,) = await take(holder, 1)
            self.assertEqual(d.seq, first.seq)

            # A second stream of the same consumer is refused...
            async with sk.stream("sk-held") as rival:
                with self.assertRaises(lc.LiaisonError) as refused:
                    await take(rival, 1)
                self.assertEqual(refused.exception.code, "FAILED_PRECONDITION")

            # ...unless it takes the consumer over; it starts after the
            # stored cursor (nothing was acknowledged), and the holder is told.
            async with sk.stream("sk-held", take_over=True) as taker:
                (again,) = await take(taker, 1)
                self.assertEqual(again.seq, first.seq)
                with self.assertRaises(lc.LiaisonError) as lost:
                    await take(holder, 1)
                self.assertEqual(lost.exception.code, "FAILED_PRECONDITION")
        finally:
            await holder.close()

    async def test_an_auditor_may_not_open_a_stream(self):
        async with client("auditor").stream("audit") as stream:
            with self.assertRaises(lc.LiaisonError) as refused:
                await take(stream, 1)
        self.assertEqual((refused.exception.code, refused.exception.status),
                         ("PERMISSION_DENIED", 403))


class PublishTest(unittest.TestCase):
    def test_a_retry_with_the_same_bytes_is_the_same_alert(self):
        at = client("AT/desk")
        envelope = at.sign(lc.build_alert("AT", ["CZ"], "retried"))
        first = at.publish_envelope(envelope)
        again = at.publish_envelope(envelope)
        self.assertEqual((again.id, again.seq, again.duplicate), (first.id, first.seq, True))
        self.assertFalse(first.duplicate)

        # Other bytes under the same id conflict.
        other = at.sign(lc.build_alert("AT", ["CZ"], "changed", alert_id=first.id))
        with self.assertRaises(lc.LiaisonError) as e:
            at.publish_envelope(other)
        self.assertEqual((e.exception.code, e.exception.status), ("DUPLICATE_CONFLICT", 409))

    def test_a_bad_signature_is_refused(self):
        at = client("AT/desk")
        envelope = at.sign(lc.build_alert("AT", ["CZ"], "tampered"))
        envelope.signature = bytes([envelope.signature[0] ^ 1]) + envelope.signature[1:]
        with self.assertRaises(lc.LiaisonError) as e:
            at.publish_envelope(envelope)
        self.assertEqual((e.exception.code, e.exception.status), ("BAD_SIGNATURE", 422))

    def test_an_unregistered_recipient_is_refused(self):
        with self.assertRaises(lc.LiaisonError) as e:
            client("AT/desk").publish(["ZZ"], "to nobody")
        self.assertEqual((e.exception.code, e.exception.status), ("INVALID_ARGUMENT", 400))
        self.assertIn("ZZ", e.exception.message)

    def test_only_a_desk_publishes(self):
        partner = client("partner-HU")
        with self.assertRaises(ValueError):
            partner.publish("AT", "no signing key")
        envelope = client("AT/desk").sign(lc.build_alert("AT", ["CZ"], "relayed"))
        with self.assertRaises(lc.LiaisonError) as e:
            partner.publish_envelope(envelope)
        self.assertEqual((e.exception.code, e.exception.status), ("PERMISSION_DENIED", 403))

    def test_names_outside_their_enumeration_are_refused_before_sending(self):
        with self.assertRaises(ValueError):
            lc.build_alert("AT", "HU", "x", tlp="PURPLE")


class SignatureTest(unittest.TestCase):
    def test_signatures_verify_offline_with_the_senders_key_only(self):
        at, auditor = client("AT/desk"), client("auditor")
        sent = at.publish("PL", "signed")
        # The exact bytes as the server stored them, from the auditor's view.
        detail = auditor.alert(sent.id, "client test: signature check")
        self.assertTrue(detail["signature_check"]["valid"])
        keys = auditor.identity
        self.assertTrue(lc.verify(detail["envelope"], keys.public_key_pem("AT-1")))
        self.assertFalse(lc.verify(detail["envelope"], keys.public_key_pem("HU-1")))
        # The same check on the protobuf Envelope, after changing one byte.
        envelope = at.sign(lc.build_alert("AT", ["PL"], "signed locally"))
        self.assertTrue(lc.verify(envelope, keys.public_key_pem("AT-1")))
        envelope.payload = envelope.payload[:-1] + bytes([envelope.payload[-1] ^ 1])
        self.assertFalse(lc.verify(envelope, keys.public_key_pem("AT-1")))


class HistoryTest(unittest.TestCase):
    def test_the_auditor_finds_the_alerts_page_after_page(self):
        de, auditor = client("DE/desk"), client("auditor")
        case = f"case-{uuid.uuid4()}"
        sent = [de.publish("NL", f"history {i}", case_reference=case) for i in range(5)]
        found = list(auditor.history("client test: history", origin="DE", page_size=2))
        self.assertEqual([a["id"] for a in found], [r.id for r in sent])
        self.assertEqual({a["case_reference"] for a in found}, {case})
        self.assertEqual(found[0]["published_by"], "DE.desk")

    def test_requests_without_a_justification_or_by_others_are_refused(self):
        with self.assertRaises(lc.LiaisonError) as e:
            list(client("auditor").history(""))
        self.assertEqual((e.exception.code, e.exception.status), ("INVALID_ARGUMENT", 400))
        with self.assertRaises(lc.LiaisonError) as e:
            list(client("auditor").history("why", origin="AT' OR '1'='1"))
        self.assertEqual((e.exception.code, e.exception.status), ("INVALID_ARGUMENT", 400))
        with self.assertRaises(lc.LiaisonError) as e:
            list(client("partner-HU").history("curious"))
        self.assertEqual((e.exception.code, e.exception.status), ("PERMISSION_DENIED", 403))


if __name__ == "__main__":
    unittest.main()
