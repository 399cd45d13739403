# Fails the build when a file of one layer includes a header of a layer above it.
# Run in script mode by civic_layer() (the top-level CMakeLists.txt):
#   cmake -DLAYER=store -DDIR=<layer dir> -DALLOWED=common,store -DSTAMP=<file> -P check_layers.cmake
# Headers are included by their path from the project root ("server/store/sqlite.hpp",
# "common/geo.hpp"); the directory a header sits in names its layer, the last component of it for
# a layer inside another ("server/store/pg/pg_conn.hpp" is the pg layer's, not store's), as
# civic_layer() names a layer after its DIR. Each layer checks only its own directory's files; a
# directory below it is a layer of its own with its own check.
cmake_minimum_required(VERSION 3.25)
string(REPLACE "," ", " allowed_text "${ALLOWED}")
string(REPLACE "," ";" ALLOWED "${ALLOWED}")
file(GLOB files ${DIR}/*.hpp ${DIR}/*.cpp ${DIR}/*.in)
set(violations "")
foreach(f IN LISTS files)
  file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]*)\".*" "\\1" header "${line}")
    if(header MATCHES "^common/")
      set(layer common)
    elseif(header MATCHES "^server/([a-z_]+/)*([a-z_]+)/[^/]+$")
      set(layer ${CMAKE_MATCH_2})
    else()
      continue()  # a generated file or a header beside the source
    endif()
    if(NOT layer IN_LIST ALLOWED)
      file(RELATIVE_PATH rel ${CMAKE_CURRENT_LIST_DIR}/.. ${f})
      string(APPEND violations "\n  ${rel} includes ${header}: the ${LAYER} layer may include only ${allowed_text}")
    endif()
  endforeach()
endforeach()
if(violations)
  message(FATAL_ERROR "upward include (docs/architecture.md, \"Layers\"):${violations}")
endif()
file(TOUCH ${STAMP})
