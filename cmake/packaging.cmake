# Installation and the Debian package (CPack).
#
#   cmake --install build --prefix /usr       # or:
#   (cd build && cpack -G DEB)                # build/liaison_<version>_amd64.deb
#
# The package holds liaisond and liaison (stripped), the migrations (also
# compiled into liaisond), the example configuration, the systemd unit, the
# production PKI scripts and the docs. Installing it creates the system user
# `liaison` and /etc/liaison; it enables and starts nothing: the operator
# writes /etc/liaison/liaison.toml first (docs/RUNBOOK.md).
include(GNUInstallDirs)

install(TARGETS liaisond liaison RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/migrations/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/liaison/migrations FILES_MATCHING PATTERN "*.sql")
install(FILES ${PROJECT_SOURCE_DIR}/config/liaison.toml ${PROJECT_SOURCE_DIR}/config/members.toml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/liaison/examples)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/liaisond.service
        DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/pki/lib.sh ${PROJECT_SOURCE_DIR}/deploy/pki/openssl.cnf
              ${PROJECT_SOURCE_DIR}/deploy/pki/README.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/liaison/pki)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/deploy/pki/ca-init.sh ${PROJECT_SOURCE_DIR}/deploy/pki/request.sh
                 ${PROJECT_SOURCE_DIR}/deploy/pki/issue.sh ${PROJECT_SOURCE_DIR}/deploy/pki/renew.sh
                 ${PROJECT_SOURCE_DIR}/deploy/pki/revoke.sh ${PROJECT_SOURCE_DIR}/deploy/pki/crl.sh
        DESTINATION ${CMAKE_INSTALL_DATADIR}/liaison/pki)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
              ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME liaison)
set(CPACK_PACKAGE_VENDOR "Liaison")
set(CPACK_PACKAGE_CONTACT "Liaison maintainers <liaison@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "real-time intelligence exchange server (liaisond) and its command-line client")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps names the runtime libraries
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, openssl")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql-client-15")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst ${PROJECT_SOURCE_DIR}/deploy/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
