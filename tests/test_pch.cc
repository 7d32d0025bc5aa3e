// Compiles tests/CMakeLists.txt's precompiled header once; every test binary
// reuses it (target_precompile_headers REUSE_FROM stagecheck_test_pch).
