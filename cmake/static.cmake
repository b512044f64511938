# -DPYATTACH_STATIC=ON: pyattach linked fully statically, to be copied to a server or
# into a container where nothing is installed (README, "Two commands"). The libraries
# are those of the dynamic build, as the static archives Debian's -dev packages ship,
# plus what `pkg-config --static` says they need (zlib, liblzma, libbz2, libzstd where
# libdw was built with it). Nothing is loaded at run time: libdw's debuginfod client,
# the one dlopen in these libraries, is kept out by dist/no_debuginfod.c. The binary is
# stripped. A static tree builds pyattach only, no tests (CMakeLists.txt returns early).
if(NOT PYATTACH_STATIC)
  return()
endif()
if(PYATTACH_SANITIZE)
  message(FATAL_ERROR "PYATTACH_STATIC and PYATTACH_SANITIZE exclude each other: the sanitizers need a dynamic link")
endif()

pkg_check_modules(PYATTACH_STATIC_DEPS REQUIRED libdw libelf libunwind-ptrace libunwind-generic ncurses zlib)

set(static_archives "")
set(system_libraries "")
foreach(name IN LISTS PYATTACH_STATIC_DEPS_STATIC_LIBRARIES)
  if(name MATCHES "^(c|m|dl|pthread|rt)$")
    list(APPEND system_libraries ${name}) # glibc's own, linked statically by -static
    continue()
  endif()
  find_library(PYATTACH_STATIC_LIB_${name} NAMES lib${name}.a HINTS ${PYATTACH_STATIC_DEPS_STATIC_LIBRARY_DIRS})
  if(NOT PYATTACH_STATIC_LIB_${name})
    message(FATAL_ERROR "PYATTACH_STATIC: no static archive lib${name}.a; install the -dev package that ships it "
                        "(on Debian .ci/install_deps.sh installs them all)")
  endif()
  list(APPEND static_archives ${PYATTACH_STATIC_LIB_${name}})
endforeach()
list(REMOVE_DUPLICATES static_archives)
list(REMOVE_DUPLICATES system_libraries)

target_sources(pyattach PRIVATE ${CMAKE_SOURCE_DIR}/dist/no_debuginfod.c)
target_link_options(pyattach PRIVATE -static -s)
# One group: pkg-config's order is not always a valid static link order (libelf needs zlib).
target_link_libraries(pyattach_core PUBLIC -Wl,--start-group ${static_archives} -Wl,--end-group
                      ${system_libraries} m)
message(STATUS "PYATTACH_STATIC: linking ${static_archives}")
