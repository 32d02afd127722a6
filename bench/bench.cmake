# The gRPC ceiling: a trivial echo service and its proto.
add_library(bench_proto STATIC ${CMAKE_CURRENT_LIST_DIR}/echo.proto)
target_link_libraries(bench_proto PUBLIC protobuf::libprotobuf gRPC::grpc++)
target_include_directories(bench_proto PUBLIC ${CMAKE_CURRENT_BINARY_DIR})
protobuf_generate(TARGET bench_proto LANGUAGE cpp IMPORT_DIRS ${CMAKE_CURRENT_LIST_DIR})
protobuf_generate(TARGET bench_proto LANGUAGE grpc
  GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
  PLUGIN "protoc-gen-grpc=\$<TARGET_FILE:gRPC::grpc_cpp_plugin>"
  IMPORT_DIRS ${CMAKE_CURRENT_LIST_DIR})
target_compile_options(bench_proto PRIVATE -w)
add_executable(bench-echo-server ${CMAKE_CURRENT_LIST_DIR}/echo_server.cc)
target_link_libraries(bench-echo-server PRIVATE bench_proto absl::flags absl::flags_parse)

# Load generator for a running oauthd (see bench/run).
add_executable(oauthd-load ${CMAKE_CURRENT_LIST_DIR}/load.cc)
target_link_libraries(oauthd-load PRIVATE oauth_proto bench_proto gRPC::grpc++ absl::flags
  absl::flags_parse absl::synchronization absl::time)

# Verifier vs raw OpenSSL ES256 in one binary (issue 5's target: >= 80%).
find_package(benchmark REQUIRED)
add_executable(verifier_bench ${CMAKE_CURRENT_LIST_DIR}/verifier_bench.cc)
target_link_libraries(verifier_bench PRIVATE oauth_client oauth_jose OpenSSL::Crypto
  benchmark::benchmark)

# One-time credentials (refresh tokens, codes) for bench/http.
add_executable(oauthd-mint ${CMAKE_CURRENT_LIST_DIR}/mint.cc)
target_link_libraries(oauthd-mint PRIVATE oauth_proto gRPC::grpc++ absl::flags
  absl::flags_parse absl::synchronization)

# SigningKey::Sign vs OpenSSL signing directly, 1 and 2 threads.
add_executable(sign_bench ${CMAKE_CURRENT_LIST_DIR}/sign_bench.cc)
target_link_libraries(sign_bench PRIVATE oauth_jose OpenSSL::Crypto benchmark::benchmark)
