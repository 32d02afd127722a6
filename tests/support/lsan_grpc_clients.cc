// LeakSanitizer's built-in suppressions for the gRPC client programs of an
// ASan build (oauthctl, the inventory example, the client tests): compiled
// into those programs only (oauthd_lsan_grpc_client in CMakeLists.txt).
//
// OpenSSL keeps per-thread state (the error queue, the per-thread random
// generators) and frees it when the thread exits. In these programs gRPC's
// threads run OpenSSL (TLS handshakes, call credentials, the authenticator's
// metadata processor), and gRPC lets them finish, including its last
// shutdown, which runs in a detached thread, while the process is exiting.
// LeakSanitizer's check at exit then sometimes finds that state
// unreferenced: about 1 run in 30 of
// client.GrpcAuthTest.CallCredentialsAttachTokenSourceTokens, and oauthctl
// over mTLS in docs.commands, each a few objects from CRYPTO_zalloc.
//
// Debian's libcrypto has no frame pointers, so a leak's stack ends at
// CRYPTO_zalloc and nothing narrower than the library can be matched. That
// also hides a leak of an OpenSSL object our code makes, in these programs
// only; the code that makes them (server/jose, the Verifier, oauthd) is
// checked without this in the jose, core, integration and client.VerifierTest
// suites, and in every oauthd and oauth-gateway process.
//
// lsan_grpc_clients.supp holds the same list for the copy of the inventory
// example that client.InstallTest builds outside this tree (LSAN_OPTIONS);
// change both together.

extern "C" const char* __lsan_default_suppressions() { return "leak:libcrypto.so\n"; }
