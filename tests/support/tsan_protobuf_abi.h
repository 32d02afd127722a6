// Force-included into every translation unit of a ThreadSanitizer build
// (OAUTHD_SANITIZE=thread; CMakeLists.txt passes -include), and into programs
// built against an installed oauth_client of such a build.
//
// Why: Debian's libprotobuf is built without TSan, but protobuf's
// map_field.h gives MapFieldBase two extra members when __SANITIZE_THREAD__
// is defined. Compiled with -fsanitize=thread, our code (and the generated
// *.pb.cc) would then disagree with libprotobuf about the layout of every map
// field (google.protobuf.Struct, the ext_authz headers map, ...), and the two
// would corrupt each other's memory: a TSan build of oauthd crashed reading a
// Struct that libprotobuf had parsed. Reading map_field.h here first, with
// the macro hidden for that one inclusion, makes its include guard keep the
// layout libprotobuf was built with. Only TSan's own extra checks of map
// fields are lost; the instrumentation of our accesses is unchanged.
#ifndef OAUTHD_TESTS_SUPPORT_TSAN_PROTOBUF_ABI_H_
#define OAUTHD_TESTS_SUPPORT_TSAN_PROTOBUF_ABI_H_
#ifdef __cplusplus
#pragma push_macro("__SANITIZE_THREAD__")
#undef __SANITIZE_THREAD__
#include <google/protobuf/map_field.h>
#pragma pop_macro("__SANITIZE_THREAD__")
#endif
#endif  // OAUTHD_TESTS_SUPPORT_TSAN_PROTOBUF_ABI_H_
