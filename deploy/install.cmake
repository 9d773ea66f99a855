# deploy/install.cmake: what `cmake --install` adds to the binaries (which the root
# CMakeLists.txt installs to <prefix>/bin as dvcid-gateway, dvcid-account-svc,
# dvcid-otp-svc, dvcid-sms-worker, dvcctl and dvcid-load): the systemd units, the dvcid user for
# systemd-sysusers and tmpfiles, the production configuration and the deployment guide.
# Included from the root CMakeLists.txt. The work happens at install time, in
# deploy/install-files.cmake, because the units must name the prefix the binaries are
# installed to, and that is only known then (`cmake --install build --prefix /opt/x`):
#   <unitdir>/                      dvcid-{gateway,account-svc,otp-svc,sms-worker}.service,
#                                   dvcid-{account-svc,otp-svc,sms-worker}@.service (one
#                                   unit per instance), dvcid.target
#   <prefix>/lib/sysusers.d/dvcid.conf    the dvcid user
#   <prefix>/lib/tmpfiles.d/dvcid.conf    the config readable by group dvcid only
#   <etc>/dvcid/dvcid.conf          <etc> is /etc for the prefixes /usr and /usr/local,
#                                   else <prefix>/etc; an edited copy is never overwritten
#   <prefix>/share/doc/dvcid/deploy.md, prometheus-alerts.yml, prometheus-scrape.yml,
#   grafana-dashboard.json, three-hosts.conf
#   <prefix>/share/man/man{1,5,8}/  the manual pages of docs/man/
# <unitdir> is <prefix>/lib/systemd/system unless DVCID_SYSTEMD_UNITDIR says otherwise
# (debian/rules: /lib/systemd/system, where Debian 12's debhelper looks for units).
# DESTDIR works as usual (packaging: DESTDIR=/tmp/pkg cmake --install build).
set(DVCID_SYSTEMD_UNITDIR "" CACHE PATH
    "Where the systemd units go (absolute; empty: <prefix>/lib/systemd/system)")
install(CODE "set(DVCID_DEPLOY_SRC \"${CMAKE_CURRENT_LIST_DIR}\")
set(DVCID_DEPLOY_WORK \"${CMAKE_BINARY_DIR}/deploy-install\")
set(DVCID_SYSTEMD_UNITDIR \"${DVCID_SYSTEMD_UNITDIR}\")")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install-files.cmake)

# Manual pages: docs/man/NAME.SECTION, each into its section's folder.
file(GLOB DVCID_MAN_PAGES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/docs/man/*.[158])
foreach(page ${DVCID_MAN_PAGES})
  string(REGEX REPLACE "^.*\\.([158])$" "\\1" section "${page}")
  install(FILES ${page} DESTINATION share/man/man${section})
endforeach()
