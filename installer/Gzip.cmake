# cmake -DIN=FILE -DOUT=FILE.gz -P Gzip.cmake: gzip-compresses one file (for man pages) without
# needing a gzip program.
if(NOT IN OR NOT OUT)
    message(FATAL_ERROR "usage: cmake -DIN=FILE -DOUT=FILE.gz -P Gzip.cmake")
endif()
file(ARCHIVE_CREATE OUTPUT "${OUT}" PATHS "${IN}" FORMAT raw COMPRESSION GZip COMPRESSION_LEVEL 9)
