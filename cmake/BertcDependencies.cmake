# Finds bertc's dependencies. All come from Debian packages (scripts/setup-deps.sh); any other
# LibTorch works through -DTorch_DIR=.
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
find_package(ICU REQUIRED COMPONENTS uc i18n)
find_package(absl REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)

# TorchConfig.cmake exports a plain library list; wrap it in a namespaced interface target so the
# rest of the build links `bertc_dep::torch` without touching global flags.
if(NOT TARGET bertc_dep_torch)
  add_library(bertc_dep_torch INTERFACE)
  target_link_libraries(bertc_dep_torch INTERFACE ${TORCH_LIBRARIES})
  target_include_directories(bertc_dep_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
  # Keep only preprocessor definitions from TORCH_CXX_FLAGS (e.g. the libstdc++ ABI flag).
  separate_arguments(_bertc_torch_flags UNIX_COMMAND "${TORCH_CXX_FLAGS}")
  foreach(_f IN LISTS _bertc_torch_flags)
    if(_f MATCHES "^-D")
      target_compile_options(bertc_dep_torch INTERFACE ${_f})
    endif()
  endforeach()
  # LibTorch's CPU backend here is OpenMP, and at::parallel_for is a header template whose
  # `omp parallel` only exists in TUs compiled with OpenMP: without it every at::parallel_for in
  # bertc's own code (skinny GEMM, optimizer kernels) silently runs on one thread. OpenMP also lets
  # fill-mask set the intra-op thread count per calling thread (omp_set_num_threads).
  find_package(OpenMP COMPONENTS CXX)
  if(OpenMP_CXX_FOUND)
    target_link_libraries(bertc_dep_torch INTERFACE OpenMP::OpenMP_CXX)
  endif()
endif()

# oneDNN (Debian libdnnl-dev): the training graph's dense GEMMs (src/model/dense.cc). It dispatches
# on the CPU's instruction set at run time, so speed does not hinge on OpenBLAS knowing the CPU
# model. OFF (or not found with AUTO) falls back to LibTorch's BLAS.
set(BERTC_WITH_ONEDNN "AUTO" CACHE STRING "Use oneDNN for dense-layer GEMMs: ON, OFF or AUTO")
set_property(CACHE BERTC_WITH_ONEDNN PROPERTY STRINGS ON OFF AUTO)
if(NOT TARGET bertc_dep_onednn)
  add_library(bertc_dep_onednn INTERFACE)
  if(NOT BERTC_WITH_ONEDNN STREQUAL "OFF")
    if(BERTC_WITH_ONEDNN STREQUAL "ON")
      find_package(dnnl CONFIG REQUIRED)
    else()
      find_package(dnnl CONFIG QUIET)
    endif()
    if(dnnl_FOUND)
      target_link_libraries(bertc_dep_onednn INTERFACE DNNL::dnnl)
      target_compile_definitions(bertc_dep_onednn INTERFACE BERTC_WITH_ONEDNN=1)
      message(STATUS "bertc: dense GEMMs in oneDNN ${dnnl_VERSION}")
    else()
      message(WARNING "bertc: oneDNN not found (apt-get install libdnnl-dev); dense GEMMs use LibTorch's BLAS")
    endif()
  endif()
endif()
