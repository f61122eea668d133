#!/usr/bin/env bash
# Shared JDK finder, sourced by ./pullroute and .ci/run (not meant to be run directly).
# After `pullroute_find_jdk`, JAVA_HOME points at a JDK >= 21 and is exported;
# otherwise it prints an error to stderr and returns 1.

PULLROUTE_MIN_JAVA=21

# Prints the full version string ("25.0.3", "21", "1.8.0_402") of a java binary, or nothing.
pullroute_java_version() {
  local out
  out="$("$1" -version 2>&1)" || return 0
  if [[ $out =~ version\ \"([^\"]+)\" ]]; then
    printf '%s\n' "${BASH_REMATCH[1]}"
  fi
}

# Prints the major version of a version string: "25.0.3" -> 25, "21" -> 21, "1.8.0_402" -> 8.
pullroute_java_major() {
  local v="$1"
  if [[ $v =~ ^1\.([0-9]+) ]]; then
    printf '%s\n' "${BASH_REMATCH[1]}"
  elif [[ $v =~ ^([0-9]+) ]]; then
    printf '%s\n' "${BASH_REMATCH[1]}"
  else
    printf '0\n'
  fi
}

# Succeeds (and prints the version) if $1 is a JDK home whose bin/java is >= 21.
pullroute_jdk_ok() {
  local home="$1" v
  [[ -n $home && -x $home/bin/java ]] || return 1
  v="$(pullroute_java_version "$home/bin/java")"
  [[ -n $v ]] || return 1
  (( $(pullroute_java_major "$v") >= PULLROUTE_MIN_JAVA )) || return 1
  printf '%s\n' "$v"
}

pullroute_find_jdk() {
  # 1. $JAVA_HOME, if it is new enough.
  if [[ -n ${JAVA_HOME:-} ]] && pullroute_jdk_ok "$JAVA_HOME" >/dev/null; then
    export JAVA_HOME
    return 0
  fi
  # 2. The newest qualifying JDK under /usr/lib/jvm (compared with sort -V).
  local dir v best="" best_v=""
  for dir in /usr/lib/jvm/*/; do
    dir="${dir%/}"
    v="$(pullroute_jdk_ok "$dir")" || continue
    if [[ -z $best ]] || [[ "$(printf '%s\n%s\n' "$best_v" "$v" | sort -V | tail -n 1)" == "$v" && $v != "$best_v" ]]; then
      best="$dir"
      best_v="$v"
    fi
  done
  if [[ -n $best ]]; then
    export JAVA_HOME="$best"
    return 0
  fi
  echo "pullroute: needs a JDK 21 or newer (set JAVA_HOME or install one under /usr/lib/jvm)" >&2
  return 1
}
