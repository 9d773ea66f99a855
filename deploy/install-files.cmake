# deploy/install-files.cmake: the install-time half of deploy/install.cmake (read that
# first). Runs inside `cmake --install` with CMAKE_INSTALL_PREFIX set to the install
# prefix, DVCID_DEPLOY_SRC to deploy/ and DVCID_DEPLOY_WORK to a scratch directory of
# the build tree.
if(NOT DVCID_DEPLOY_SRC OR NOT DVCID_DEPLOY_WORK)
  message(FATAL_ERROR "install-files.cmake runs from cmake --install (deploy/install.cmake)")
endif()

set(prefix "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/+$" "" prefix "${prefix}")
# Host configuration belongs in /etc for a system-wide install; any other prefix keeps
# everything under itself (a staging tree, /opt/dvcid, a test).
if(prefix STREQUAL "/usr" OR prefix STREQUAL "/usr/local")
  set(confdir "/etc/dvcid")
else()
  set(confdir "${prefix}/etc/dvcid")
endif()
set(DVCID_BINDIR "${prefix}/bin")
set(DVCID_DOCDIR "${prefix}/share/doc/dvcid")
if(DVCID_SYSTEMD_UNITDIR)
  set(unitdir "${DVCID_SYSTEMD_UNITDIR}")
else()
  set(unitdir "${prefix}/lib/systemd/system")
endif()
file(READ "${DVCID_DEPLOY_SRC}/hardening.inc" DVCID_HARDENING)

# The four services and the target as plain units (one process each, the host's
# dvcid.conf), and the three backends once more as templates for several instances per
# host: dvcid-otp-svc@1.service runs `otp-svc --instance 1`, which binds the second
# endpoint of [otp] endpoint (deploy/README.md "Instances"). Instances of one service on
# one host share its state directory (one LMDB environment) and its runtime directory.
set(work "${DVCID_DEPLOY_WORK}/units")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")
set(DVCID_CONF "${confdir}/dvcid.conf")
set(units)
foreach(kind plain template)
  if(kind STREQUAL "plain")
    set(DVCID_AT "")
    set(DVCID_WHAT "")
    set(DVCID_ARGS "")
    set(DVCID_ABOUT "")
    set(DVCID_RUNTIME_PRESERVE "")
    set(DVCID_ACCOUNT_STATE "dvcid/account")
    set(inputs dvcid-gateway.service dvcid-account-svc.service dvcid-otp-svc.service
               dvcid-sms-worker.service dvcid.target)
  else()
    set(DVCID_AT "@")
    set(DVCID_WHAT " (instance %i)")
    set(DVCID_ARGS " --instance %i")
    set(DVCID_ABOUT "# This template runs one instance per unit: <unit>@I passes --instance I, and the
# process binds the endpoint of instance I in its service's endpoint list; an account-svc
# of several shards is S-I, instance I of shard S (deploy/README.md \"Instances\").")
    set(DVCID_RUNTIME_PRESERVE "# The instances on this host share it: one that stops must not remove the others' sockets.
RuntimeDirectoryPreserve=yes")
    set(DVCID_ACCOUNT_STATE "dvcid")
    set(inputs dvcid-account-svc.service dvcid-otp-svc.service dvcid-sms-worker.service)
  endif()
  foreach(in ${inputs})
    string(REGEX REPLACE "^(.*)\\.(service|target)$" "\\1" stem "${in}")
    string(REGEX REPLACE "^(.*)\\.(service|target)$" "\\2" type "${in}")
    configure_file("${DVCID_DEPLOY_SRC}/${in}.in" "${work}/${stem}${DVCID_AT}.${type}" @ONLY)
    list(APPEND units "${work}/${stem}${DVCID_AT}.${type}")
  endforeach()
endforeach()
file(INSTALL ${units} DESTINATION "${unitdir}"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

file(INSTALL "${DVCID_DEPLOY_SRC}/dvcid.sysusers" DESTINATION "${prefix}/lib/sysusers.d"
     RENAME dvcid.conf PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
set(DVCID_CONFDIR "${confdir}")
configure_file("${DVCID_DEPLOY_SRC}/dvcid.tmpfiles.in" "${DVCID_DEPLOY_WORK}/dvcid.conf" @ONLY)
file(INSTALL "${DVCID_DEPLOY_WORK}/dvcid.conf" DESTINATION "${prefix}/lib/tmpfiles.d"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${DVCID_DEPLOY_SRC}/README.md" DESTINATION "${DVCID_DOCDIR}" RENAME deploy.md
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL "${DVCID_DEPLOY_SRC}/prometheus-alerts.yml" "${DVCID_DEPLOY_SRC}/prometheus-scrape.yml"
     "${DVCID_DEPLOY_SRC}/grafana-dashboard.json" "${DVCID_DEPLOY_SRC}/three-hosts.conf" DESTINATION "${DVCID_DOCDIR}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# The configuration: 0640, and tmpfiles.d/dvcid.conf gives it to group dvcid (install
# cannot: the group may not exist yet). An existing file is the operator's: when it
# differs from ours, ours goes next to it as dvcid.conf.new and the old one stays.
set(conf_src "${DVCID_DEPLOY_SRC}/dvcid.conf")
set(conf_dest "$ENV{DESTDIR}${confdir}/dvcid.conf")
set(conf_name dvcid.conf)
if(EXISTS "${conf_dest}")
  file(READ "${conf_src}" ours)
  file(READ "${conf_dest}" theirs)
  if(NOT ours STREQUAL theirs)
    set(conf_name dvcid.conf.new)
    message(STATUS "Kept: ${conf_dest} (edited); the new default is dvcid.conf.new next to it")
  endif()
endif()
file(INSTALL "${conf_src}" DESTINATION "${confdir}" RENAME "${conf_name}"
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
