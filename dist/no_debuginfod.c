/* Static builds only (cmake/static.cmake): takes the place of libdw's debuginfod
 * client (elfutils' libdwfl/debuginfod-client.c), which dlopens libdebuginfod.so the
 * first time a module's debug info is not found on disk. In a static binary that
 * would load a library built for whatever glibc the host has; with these three
 * definitions in the link, the linker never takes that member out of libdw.a, so
 * the binary holds no dlopen at all. Nothing is lost: pyattach reads symbols and
 * debug info from the target's own files and never fetched them over the network.
 * Names and signatures are elfutils' internal ones (libdwflP.h, 0.178 and later);
 * -1 is what the real functions return when libdebuginfod is not installed. */
#include <stddef.h>

struct Dwfl;
struct debuginfod_client;

int __libdwfl_debuginfod_find_executable(struct Dwfl *dwfl, const unsigned char *build_id, size_t build_id_len);
int __libdwfl_debuginfod_find_debuginfo(struct Dwfl *dwfl, const unsigned char *build_id, size_t build_id_len);
void __libdwfl_debuginfod_end(struct debuginfod_client *client);

int __libdwfl_debuginfod_find_executable(struct Dwfl *dwfl, const unsigned char *build_id, size_t build_id_len)
{
    (void)dwfl, (void)build_id, (void)build_id_len;
    return -1;
}

int __libdwfl_debuginfod_find_debuginfo(struct Dwfl *dwfl, const unsigned char *build_id, size_t build_id_len)
{
    (void)dwfl, (void)build_id, (void)build_id_len;
    return -1;
}

void __libdwfl_debuginfod_end(struct debuginfod_client *client)
{
    (void)client;
}
