# Turns the "// shard: ..." statement of each case of Request's oneof in dvcid.proto (IN)
# into dvcid_shard_field() (OUT, proto/dvcid_shard.h). A case without a statement, or with
# one it cannot read, stops the build with the line to fix: that is what makes a new request
# state its shard (a proto option would need descriptor.proto, which protoc-c cannot take
# here, and protobuf-c keeps no options at run time).
file(READ ${IN} text)
# One list item per line: CMake lists split on ';', which every proto field ends with.
string(REPLACE ";" "@SEMI@" text "${text}")
# Brackets would group lines into one item; no field line has any.
string(REPLACE "[" "(" text "${text}")
string(REPLACE "]" ")" text "${text}")
string(REPLACE "\n" ";" lines "${text}")

set(state outside) # outside -> request (in message Request) -> body (in its oneof)
set(lineno 0)
set(cases "")
set(count 0)
foreach(l IN LISTS lines)
  math(EXPR lineno "${lineno} + 1")
  string(REPLACE "@SEMI@" ";" l "${l}")
  if(state STREQUAL "outside")
    if(l MATCHES "^message Request {")
      set(state request)
    endif()
    continue()
  elseif(state STREQUAL "request")
    if(l MATCHES "^  oneof body {")
      set(state body)
    elseif(l MATCHES "^}")
      break()
    endif()
    continue()
  endif()
  if(l MATCHES "^  }")
    set(state done)
    break()
  endif()
  if(l MATCHES "^[ \t]*(//.*)?$")
    continue() # a comment or a blank line
  endif()
  set(where "${IN}:${lineno}")
  if(NOT l MATCHES "^[ \t]*[A-Za-z0-9_.]+[ \t]+([a-z0-9_]+)[ \t]*=[ \t]*[0-9]+[ \t]*;[ \t]*(.*)$")
    message(FATAL_ERROR "${where}: a line of Request's oneof that is not one field on one line")
  endif()
  set(name "${CMAKE_MATCH_1}")
  set(comment "${CMAKE_MATCH_2}")
  string(TOUPPER "${name}" upper)
  if(comment MATCHES "^// shard: (all|any|none)([^a-z0-9_(]|$)")
    string(TOUPPER "${CMAKE_MATCH_1}" by)
    string(APPEND cases "    case DVCID__REQUEST__BODY_${upper}:\n        return DVCID_SHARD_BY_${by};\n")
  elseif(comment MATCHES "^// shard: (id_number|id|token)\\(([a-z0-9_]+)\\)")
    string(TOUPPER "${CMAKE_MATCH_1}" by)
    string(APPEND cases "    case DVCID__REQUEST__BODY_${upper}:\n        *field = req->${name}->${CMAKE_MATCH_2};\n        return DVCID_SHARD_BY_${by};\n")
  else()
    message(FATAL_ERROR "${where}: Request case '${name}' states no shard: end its line with "
            "'// shard: id_number(FIELD)', 'id(FIELD)', 'token(FIELD)', 'all', 'any' or 'none' "
            "(what each means: the comment above the oneof)")
  endif()
  math(EXPR count "${count} + 1")
endforeach()
if(NOT state STREQUAL "done" OR count EQUAL 0)
  message(FATAL_ERROR "${IN}: no 'oneof body' in 'message Request' found")
endif()

file(WRITE ${OUT} "/* Generated from the shard statements of ${IN} by proto/shard.cmake: do not edit. */
#include \"proto/dvcid_shard.h\"

#include <stddef.h>

dvcid_shard_by_t dvcid_shard_field(const Dvcid__Request *req, const char **field) {
    *field = NULL;
    switch (req->body_case) {
${cases}    default:
        return DVCID_SHARD_BY_NOT_SET;
    }
}
")
