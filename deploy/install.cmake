# deploy/install.cmake: what `cmake --install` adds to the binaries (which the root
# CMakeLists.txt installs to <prefix>/bin): the systemd units, the dvcid user for
# systemd-sysusers and tmpfiles, the production configuration and the deployment guide.
# Included from the root CMakeLists.txt. The work happens at install time, in
# deploy/install-files.cmake, because the units must name the prefix the binaries are
# installed to, and that is only known then (`cmake --install build --prefix /opt/x`):
#   <prefix>/lib/systemd/system/    dvcid-{gateway,account-svc,otp-svc,sms-worker}.service,
#                                   dvcid-{account-svc,otp-svc,sms-worker}@.service (one
#                                   unit per instance), dvcid.target
#   <prefix>/lib/sysusers.d/dvcid.conf    the dvcid user
#   <prefix>/lib/tmpfiles.d/dvcid.conf    the config readable by group dvcid only
#   <etc>/dvcid/dvcid.conf          <etc> is /etc for the prefixes /usr and /usr/local,
#                                   else <prefix>/etc; an edited copy is never overwritten
#   <prefix>/share/doc/dvcid/deploy.md, prometheus-alerts.yml, prometheus-scrape.yml,
#   grafana-dashboard.json, three-hosts.conf
# DESTDIR works as usual (packaging: DESTDIR=/tmp/pkg cmake --install build).
install(CODE "set(DVCID_DEPLOY_SRC \"${CMAKE_CURRENT_LIST_DIR}\")
set(DVCID_DEPLOY_WORK \"${CMAKE_BINARY_DIR}/deploy-install\")")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install-files.cmake)
