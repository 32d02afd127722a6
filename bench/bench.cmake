# Load generator for a running oauthd (see bench/run).
add_executable(oauthd-load ${CMAKE_CURRENT_LIST_DIR}/load.cc)
target_link_libraries(oauthd-load PRIVATE oauth_proto gRPC::grpc++ absl::flags
  absl::flags_parse absl::synchronization absl::time)
