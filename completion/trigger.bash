# bash completion for trigger(1): commands, options, trigger names, zones, --format values and
# file names. Everything offered is read from trigger itself, so it cannot drift from the
# program: the commands from `trigger help`, a command's options, the kinds of its operands
# (ID|NAME, FILE, COMMAND) and its --format values from `trigger COMMAND --help` (each read
# once a shell session), the trigger names from `trigger list --all --format tsv` (read-only:
# a missing database is not created). Works without the bash-completion package; uses its
# _filedir when it is loaded. zsh: `autoload -U bashcompinit && bashcompinit`, then source this.

declare -gA _trigger_cache

# _trigger_run ARGS...: run the trigger being completed, stdin and stderr closed off.
_trigger_run() {
  local program=${COMP_WORDS[0]/#\~/$HOME}
  command "$program" "$@" </dev/null 2>/dev/null
}

# _trigger_help [COMMAND]: the --help text of COMMAND (`trigger help` without one), cached.
_trigger_help() {
  local key="${COMP_WORDS[0]}|${1:-}"
  if [[ -z ${_trigger_cache[$key]+set} ]]; then
    if [[ -n ${1:-} ]]; then
      _trigger_cache[$key]=$(_trigger_run "$1" --help)
    else
      _trigger_cache[$key]=$(_trigger_run help)
    fi
  fi
  _trigger_text=${_trigger_cache[$key]}
}

# The command names `trigger help` lists, into _trigger_list.
_trigger_commands() {
  _trigger_help
  _trigger_list=()
  local line in_list=0
  while IFS= read -r line; do
    if [[ $line == commands: ]]; then in_list=1; continue; fi
    [[ -z $line ]] && in_list=0
    ((in_list)) && [[ $line =~ ^\ \ ([a-z][a-z-]*)\  ]] && _trigger_list+=("${BASH_REMATCH[1]}")
  done <<<"$_trigger_text"
}

# COMMAND's options from its --help (global ones included): their long names into _trigger_list,
# the value each takes (ZONE, PATH, ...; none for a flag) into _trigger_values, its usage
# lines into _trigger_usage and its --format values into _trigger_formats.
_trigger_options() {
  _trigger_help "$1"
  _trigger_list=() _trigger_usage='' _trigger_formats=()
  declare -gA _trigger_values=()
  local line in_usage=1
  local option='^  (-[[:alpha:]] \[ )?(--[[:alnum:]-]+)( \])?( ([A-Z][A-Z_=|.-]*))?( |$)'
  while IFS= read -r line; do
    [[ -z $line ]] && in_usage=0
    ((in_usage)) && _trigger_usage+=" $line"
    [[ $line =~ $option ]] || continue
    _trigger_list+=("${BASH_REMATCH[2]}")
    _trigger_values[${BASH_REMATCH[2]}]=${BASH_REMATCH[5]}
    if [[ ${BASH_REMATCH[2]} == --format && $line =~ output\ as\ (.*)$ ]]; then
      line=${BASH_REMATCH[1]//,/}
      read -ra _trigger_formats <<<"${line// or / }"
    fi
  done <<<"$_trigger_text"
}

# The names of the triggers in the database (--db on the line, else $TRIGGER_DB, else the
# default), into _trigger_list.
_trigger_names() {
  local i db=()
  for ((i = 1; i < ${#_trigger_words[@]} - 1; i++)); do
    case ${_trigger_words[i]} in
      --db) db=(--db "${_trigger_words[i + 1]/#\~/$HOME}") ;;
      --db=*) db=(--db "${_trigger_words[i]#--db=}") && db[1]=${db[1]/#\~/$HOME} ;;
    esac
  done
  _trigger_list=()
  local id name rest
  while IFS=$'\t' read -r id name rest; do
    [[ -n $name ]] && _trigger_list+=("$name")
  done < <(_trigger_run "${db[@]}" list --all --format tsv)
}

# The zone names under /usr/share/zoneinfo (not posix/ and right/, nor its tables), cached.
_trigger_zones() {
  if [[ -z ${_trigger_cache[zones]+set} ]]; then
    _trigger_cache[zones]=$(find /usr/share/zoneinfo -mindepth 1 \
      \( -name posix -o -name right \) -prune -o \( -type f -o -type l \) -name '[A-Z]*' \
      -printf '%P\n' 2>/dev/null)
  fi
  _trigger_list=(${_trigger_cache[zones]})
}

# COMPREPLY: the words of _trigger_list starting with $1.
_trigger_offer() {
  local word
  COMPREPLY=()
  for word in "${_trigger_list[@]}"; do
    [[ $word == "$1"* ]] && COMPREPLY+=("$word")
  done
}

# COMPREPLY: the files (directories with -d) starting with $2.
_trigger_files() {
  if declare -F _filedir >/dev/null; then
    cur=$2 _filedir $1
    return
  fi
  compopt -o filenames 2>/dev/null
  if [[ $1 == -d ]]; then
    mapfile -t COMPREPLY < <(compgen -d -- "$2")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$2")
  fi
}

# bash splits words at '=' and ':' too (COMP_WORDBREAKS): "--db=x" arrives as "--db" "=" "x".
# Glue back what touches on the line into _trigger_words; _trigger_cword is the cursor's word.
_trigger_split() {
  _trigger_words=() _trigger_cword=0
  local i word rest gap pos=0 glue=0
  for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
    word=${COMP_WORDS[i]}
    rest=${COMP_LINE:pos}
    gap=${rest%%"$word"*}
    ((pos += ${#gap} + ${#word}))
    if ((i > 0)) && [[ -z $gap ]] && { ((glue)) || [[ $word == [=:] ]]; }; then
      _trigger_words[-1]+=$word
    else
      _trigger_words+=("$word")
    fi
    [[ $word == [=:] ]] && glue=1 || glue=0
    ((i == COMP_CWORD)) && _trigger_cword=$((${#_trigger_words[@]} - 1))
  done
  ((COMP_CWORD >= ${#COMP_WORDS[@]})) && _trigger_words+=('') && _trigger_cword=$((${#_trigger_words[@]} - 1))
}

# The value of OPTION (its value name from --help) starting with $2: zones, formats, files.
_trigger_value() {
  case $1 in
    --tz) _trigger_zones ;;
    --format) _trigger_list=("${_trigger_formats[@]}") ;;
    *)
      case ${_trigger_values[$1]} in
        PATH | FILE) _trigger_files '' "$2" ;;
        DIR) _trigger_files -d "$2" ;;
      esac
      return
      ;;
  esac
  _trigger_offer "$2"
}

# An operand of COMMAND, the Nth (from 0), starting with $3: from its usage line.
_trigger_operand() {
  if [[ $_trigger_usage =~ ID\|NAME ]] && { (($2 == 0)) || [[ $_trigger_usage =~ ID\|NAME\ \.\.\. ]]; }; then
    _trigger_names
  elif [[ $_trigger_usage =~ FILE ]]; then
    _trigger_files '' "$3"
    return
  elif [[ $_trigger_usage =~ \[COMMAND\] ]] && (($2 == 0)); then
    _trigger_commands
  else
    return
  fi
  _trigger_offer "$3"
}

_trigger() {
  COMPREPLY=()
  local _trigger_words _trigger_cword _trigger_list _trigger_text _trigger_usage _trigger_formats
  _trigger_split
  local cur=${COMP_WORDS[COMP_CWORD]} word=${_trigger_words[_trigger_cword]}
  [[ $cur == [=:] ]] && cur=''
  local i command='' operands=0
  _trigger_options help  # the global options, for the words before the command
  for ((i = 1; i < _trigger_cword; i++)); do
    local seen=${_trigger_words[i]}
    if [[ $seen == -* ]]; then
      [[ $seen != *=* && -n ${_trigger_values[$seen]} ]] && ((i++))
    elif [[ -z $command ]]; then
      command=$seen
      _trigger_options "$command"
    else
      ((operands++))
    fi
  done
  local prev=${_trigger_words[_trigger_cword - 1]}
  if [[ $word == --*=* && $cur == "$word" ]]; then  # COMP_WORDBREAKS without '='
    _trigger_value "${word%%=*}" "${word#*=}"
    COMPREPLY=("${COMPREPLY[@]/#/${word%%=*}=}")
  elif [[ $word == --*=* ]]; then
    _trigger_value "${word%%=*}" "$cur"
  elif [[ $prev == -* && $prev != *=* && -n ${_trigger_values[$prev]:-} ]]; then
    _trigger_value "$prev" "$cur"
  elif [[ $word == -* ]]; then
    _trigger_offer "$word"
  elif [[ -z $command ]]; then
    _trigger_commands
    _trigger_offer "$word"
  else
    _trigger_operand "$command" "$operands" "$cur"
  fi
  return 0
}

complete -F _trigger trigger
