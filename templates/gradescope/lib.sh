# shellcheck shell=bash
# lib.sh — what setup.sh and run_autograder share: where things are, and
# the settings in streamlab.conf. Sourced by both, never run on its own.
# shellcheck disable=SC2034 # the variables are the sourcing script's
#
# Gradescope's folders are fixed, but every path here can be moved by the
# environment, so that the scripts also run outside Gradescope's image (on
# an instructor's machine, and in the template's tests).

AUTOGRADER_ROOT="${AUTOGRADER_ROOT:-/autograder}"
# The autograder zip, unpacked.
AUTOGRADER_SOURCE="${AUTOGRADER_SOURCE:-$AUTOGRADER_ROOT/source}"
# One learner's files, as uploaded.
AUTOGRADER_SUBMISSION="${AUTOGRADER_SUBMISSION:-$AUTOGRADER_ROOT/submission}"
# Where Gradescope reads results.json.
AUTOGRADER_RESULTS="${AUTOGRADER_RESULTS:-$AUTOGRADER_ROOT/results}"
# The template's settings.
STREAMLAB_AUTOGRADER_CONFIG="${STREAMLAB_AUTOGRADER_CONFIG:-$AUTOGRADER_SOURCE/streamlab.conf}"
# Where setup.sh installs the streamlab binary, and run_autograder finds it.
STREAMLAB_BIN_DIR="${STREAMLAB_BIN_DIR:-/usr/local/bin}"
# A workspace made by `streamlab init`: its go.mod and go.sum are given to a
# Go submission that came without them, and setup.sh compiles the client
# libraries they name once, so that no submission waits for that.
STREAMLAB_AUTOGRADER_WORKSPACE="${STREAMLAB_AUTOGRADER_WORKSPACE:-$AUTOGRADER_ROOT/streamlab-workspace}"
# The fetch scripts' cache: the broker jars, and the Python clients.
STREAMLAB_CACHE_DIR="${STREAMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/streamlab}"

# load_config reads streamlab.conf: KEY=value lines, # starts a comment
# line. It is read, not sourced, so that a typo is an error naming its
# line rather than a command that runs. On a problem it sets CONFIG_ERROR
# and returns 1.
load_config() {
	local file="$1" line key value n=0
	EXERCISE=""
	PYTHON_CLIENTS="no"
	CONFIG_ERROR=""
	if [[ ! -f "$file" ]]; then
		CONFIG_ERROR="$file is missing: the autograder zip needs streamlab.conf with EXERCISE=<exercise id>"
		return 1
	fi
	while IFS= read -r line || [[ -n "$line" ]]; do
		n=$((n + 1))
		line="${line%$'\r'}" # a file saved on Windows
		line="${line#"${line%%[![:space:]]*}"}"
		line="${line%"${line##*[![:space:]]}"}"
		[[ -z "$line" || "$line" == "#"* ]] && continue
		if [[ "$line" != *=* ]]; then
			CONFIG_ERROR="$file:$n: expected KEY=value, found: $line"
			return 1
		fi
		key="${line%%=*}"
		key="${key%"${key##*[![:space:]]}"}"
		value="${line#*=}"
		value="${value#"${value%%[![:space:]]*}"}"
		case "$key" in
		EXERCISE) EXERCISE="$value" ;;
		PYTHON_CLIENTS)
			case "$value" in
			yes | no) PYTHON_CLIENTS="$value" ;;
			*)
				CONFIG_ERROR="$file:$n: PYTHON_CLIENTS is yes or no, not \"$value\""
				return 1
				;;
			esac
			;;
		*)
			CONFIG_ERROR="$file:$n: unknown setting \"$key\" (streamlab.conf has EXERCISE and PYTHON_CLIENTS)"
			return 1
			;;
		esac
	done <"$file"
	if [[ -z "$EXERCISE" ]]; then
		CONFIG_ERROR="$file names no exercise: add EXERCISE=<exercise id>, e.g. EXERCISE=kafka/keyed-producer (\`streamlab list\` shows the ids)"
		return 1
	fi
}
