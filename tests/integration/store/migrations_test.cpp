#include "store/migrations.hpp"
#include "integration/store/store_fixture.hpp"

#include <thread>

namespace liaison::testing {
namespace {

using store::apply_migrations;
using store::bundled_migrations;
using store::migrations_current;

TEST(MigrationsTest, BundledMigrationsAreNumberedInOrder) {
  const auto& all = bundled_migrations();
  ASSERT_GE(all.size(), 2u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].number, static_cast<int>(i + 1));
    EXPECT_FALSE(all[i].sql.empty());
  }
  EXPECT_EQ(all[0].name, "0001_create_log");
  EXPECT_EQ(all[1].name, "0002_create_audit");
}

TEST(MigrationsTest, ApplyRecordsEachMigrationAndReapplyingIsANoOp) {
  // A database without the schema.
  test_database db(/*migrate=*/false);
  EXPECT_FALSE(migrations_current(db.owner_url()));

  // First start-up applies everything, in order.
  auto applied = apply_migrations(db.owner_url());
  ASSERT_EQ(applied.size(), bundled_migrations().size());
  EXPECT_EQ(applied[0], "0001_create_log");
  EXPECT_TRUE(migrations_current(db.owner_url()));

  // The next start-up changes nothing.
  EXPECT_TRUE(apply_migrations(db.owner_url()).empty());

  pqxx::connection c(db.owner_url());
  pqxx::nontransaction tx(c);
  auto rows =
      tx.exec("SELECT number, name, applied_at IS NOT NULL FROM schema_migrations ORDER BY number");
  ASSERT_EQ(rows.size(), bundled_migrations().size());
  EXPECT_EQ(rows[1][1].as<std::string>(), "0002_create_audit");
  EXPECT_TRUE(rows[1][2].as<bool>());
  EXPECT_EQ(tx.exec1("SELECT last_seq FROM log_head")[0].as<long long>(), 0);
  EXPECT_EQ(tx.exec1("SELECT last_id, length(last_hash) FROM audit_head")[1].as<int>(), 32);
}

TEST(MigrationsTest, ConcurrentNodesApplyEachMigrationOnce) {
  test_database db(/*migrate=*/false);

  // Two nodes start at the same moment.
  std::vector<std::string> first, second;
  std::thread a([&] { first = apply_migrations(db.owner_url()); });
  std::thread b([&] { second = apply_migrations(db.owner_url()); });
  a.join();
  b.join();

  // Between them every migration was applied exactly once.
  EXPECT_EQ(first.size() + second.size(), bundled_migrations().size());
  EXPECT_TRUE(migrations_current(db.owner_url()));
}

TEST(MigrationsTest, UnreachableDatabaseIsNotCurrentAndApplyThrows) {
  const std::string nowhere = "postgresql://liaison@127.0.0.1:1/nowhere";
  EXPECT_FALSE(migrations_current(nowhere));
  EXPECT_THROW(apply_migrations(nowhere), std::runtime_error);
}

}  // namespace
}  // namespace liaison::testing
