# Compiler warnings for tether's own targets. The tree builds free of
# warnings; CI (scripts/test.sh) sets TETHER_WERROR so that a new warning
# fails the build instead of scrolling past. Only PRIVATE options: nothing
# here reaches an embedder through the exported targets.
option(TETHER_WERROR "Treat every compiler warning as an error (CI)" OFF)
if(TETHER_WERROR)
  # Every target defined from here on, tests and examples included.
  set(CMAKE_COMPILE_WARNING_AS_ERROR ON)
endif()

function(tether_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
endfunction()
