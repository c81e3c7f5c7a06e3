# Install rules: library, header, CMake package (bertc::bertc) and pkg-config file.
include(CMakePackageConfigHelpers)

set(BERTC_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/bertc")

install(TARGETS bertc EXPORT bertcTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
  PUBLIC_HEADER DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)

if(BERTC_ISOLATED_TORCH)
  # The implementation behind the front, and its private LibTorch copies (component torch-copies:
  # `cmake --install` puts them next to the library; the .deb leaves them out and uses Debian's LibTorch).
  install(TARGETS bertc_impl LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_SKIP)
  install(DIRECTORY "${PROJECT_BINARY_DIR}/src/api/bertc-torch/" DESTINATION ${CMAKE_INSTALL_LIBDIR}/bertc-torch
          COMPONENT torch-copies PATTERN ".sources" EXCLUDE)
endif()

install(EXPORT bertcTargets NAMESPACE bertc:: DESTINATION ${BERTC_CMAKE_DIR} COMPONENT dev)

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/bertcConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/bertcConfig.cmake" INSTALL_DESTINATION ${BERTC_CMAKE_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/bertcConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/bertcConfig.cmake" "${PROJECT_BINARY_DIR}/bertcConfigVersion.cmake"
  DESTINATION ${BERTC_CMAKE_DIR} COMPONENT dev)

# pkg-config: a static archive must also name its dependencies' libraries.
if(BERTC_SHARED)
  set(BERTC_PC_LIBS_PRIVATE "")
  set(BERTC_PC_REQUIRES_PRIVATE "")
else()
  set(BERTC_PC_LIBS_PRIVATE "-ltorch -ltorch_cpu -lc10 -lstdc++ -lpthread")
  set(BERTC_PC_REQUIRES_PRIVATE "icu-uc icu-i18n")
endif()
file(RELATIVE_PATH BERTC_PC_RELATIVE_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
string(REGEX REPLACE "/$" "" BERTC_PC_RELATIVE_PREFIX "${BERTC_PC_RELATIVE_PREFIX}")
configure_file("${PROJECT_SOURCE_DIR}/cmake/bertc.pc.in" "${PROJECT_BINARY_DIR}/bertc.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/bertc.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/bertc COMPONENT runtime)
