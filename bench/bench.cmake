# Load generator for a running oauthd (see bench/run).
add_executable(oauthd-load ${CMAKE_CURRENT_LIST_DIR}/load.cc)
target_link_libraries(oauthd-load PRIVATE oauth_proto gRPC::grpc++ absl::flags
  absl::flags_parse absl::synchronization absl::time)

# Verifier vs raw OpenSSL ES256 in one binary (issue 5's target: >= 80%).
find_package(benchmark REQUIRED)
add_executable(verifier_bench ${CMAKE_CURRENT_LIST_DIR}/verifier_bench.cc)
target_link_libraries(verifier_bench PRIVATE oauth_client oauth_jose OpenSSL::Crypto
  benchmark::benchmark)
