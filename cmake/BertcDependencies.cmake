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
    # Debian's dnnl-config.cmake calls find_package(OpenCL REQUIRED) (its GPU runtime), which is a hard
    # configure error without ocl-icd-opencl-dev — only a Recommends of libdnnl-dev, so a
    # --no-install-recommends machine lacks it. bertc uses the CPU engine only: without OpenCL the
    # library and header are found directly instead.
    find_package(OpenCL QUIET)
    if(OpenCL_FOUND)
      if(BERTC_WITH_ONEDNN STREQUAL "ON")
        find_package(dnnl CONFIG REQUIRED)
      else()
        find_package(dnnl CONFIG QUIET)
      endif()
    else()
      find_library(BERTC_DNNL_LIBRARY NAMES dnnl)
      find_path(BERTC_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.h)
      if(BERTC_DNNL_LIBRARY AND BERTC_DNNL_INCLUDE_DIR)
        add_library(DNNL::dnnl UNKNOWN IMPORTED)
        set_target_properties(DNNL::dnnl PROPERTIES IMPORTED_LOCATION "${BERTC_DNNL_LIBRARY}"
                                                    INTERFACE_INCLUDE_DIRECTORIES "${BERTC_DNNL_INCLUDE_DIR}")
        file(STRINGS "${BERTC_DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h" _dnnl_ver
             REGEX "#define DNNL_VERSION_(MAJOR|MINOR|PATCH) ")
        string(REGEX REPLACE ".*MAJOR ([0-9]+).*MINOR ([0-9]+).*PATCH ([0-9]+).*" "\\1.\\2.\\3" dnnl_VERSION "${_dnnl_ver}")
        set(dnnl_FOUND TRUE)
      elseif(BERTC_WITH_ONEDNN STREQUAL "ON")
        message(FATAL_ERROR "bertc: BERTC_WITH_ONEDNN=ON but oneDNN was not found (apt-get install libdnnl-dev)")
      endif()
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
