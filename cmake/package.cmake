# cmake --install BUILD [--prefix DIR]: bin/pyattach, share/man/man1/pyattach.1 (from
# dist/pyattach.1.in, with the project version) and share/bash-completion/completions/pyattach.
# cpack -G DEB (in the build tree): pyattach_VERSION_ARCH.deb of that tree's binary,
# its Depends from dpkg-shlibdeps; a static tree (-DPYATTACH_STATIC=ON) has none.
include(GNUInstallDirs)
configure_file(${CMAKE_SOURCE_DIR}/dist/pyattach.1.in ${CMAKE_BINARY_DIR}/pyattach.1 @ONLY)
install(TARGETS pyattach RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${CMAKE_BINARY_DIR}/pyattach.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${CMAKE_SOURCE_DIR}/dist/pyattach.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME pyattach)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pyattach)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "pyattach maintainers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "sampling profiler for running CPython processes")
set(CPACK_PACKAGE_DESCRIPTION
    "pyattach attaches to a running Python process by PID (manage.py runserver, a gunicorn
master and its workers, a uwsgi app, a cron job), reads the interpreter's frames from
outside without stopping or restarting it, and writes the .prof files that pstats,
snakeviz, gprof2dot and pyprof2calltree open. CPython 3.6 to 3.15. Also: a live top-like
view, a dump of every thread's stack, native (C) frames with --native, and a viewer for
saved profiles.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # pyattach_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_STRIP_FILES ON)
if(PYATTACH_STATIC)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF) # nothing to depend on
else()
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # libdw1, libelf1, libunwind8, libncurses6, libc6 ...
endif()
include(CPack)
