#!/usr/bin/env bash
# setup.sh — Gradescope runs this once, as root, in its Ubuntu image when the
# autograder zip is uploaded (the zip is unpacked into /autograder/source).
# It installs Java, Maven and Go, builds streamlab from the copy of its
# source in the zip, fetches the broker jars of the exercise named in
# streamlab.conf, and compiles the Kafka and Pulsar client libraries once,
# so that each submission's grade only starts a cluster, builds the
# learner's own package and runs it.
#
# streamlab is built from a source copy (streamlab-src.tar.gz, made by
# make-zip) rather than installed from a published version: the checks
# are built into the binary, so the grade is the one the instructor ran
# from the same checkout, own exercise edits included; the fetch scripts
# come from the same source, so the jars are the versions that build
# expects; and the build fills the module cache with the module versions
# the workspace's go.mod pins, so learners' Go programs build offline.
#
# Switches, for images that already have the tools and for running this
# outside Gradescope (the template's tests do):
#   STREAMLAB_SETUP_APT=0   install nothing with apt-get
#   STREAMLAB_SETUP_GO=0    download no Go: use the go on PATH
#   STREAMLAB_GO_DOWNLOADS=URL   where Go's downloads and their listing are
#                           (https://go.dev/dl); STREAMLAB_GO_ROOT=DIR
#                           where Go goes (/usr/local/go)
#   STREAMLAB_SRC=DIR       build the streamlab source in DIR instead of
#                           unpacking streamlab-src.tar.gz
# Paths: see lib.sh (AUTOGRADER_ROOT, STREAMLAB_BIN_DIR, ...).
set -euo pipefail

source_dir="${AUTOGRADER_SOURCE:-${AUTOGRADER_ROOT:-/autograder}/source}"
# shellcheck source=lib.sh
. "$source_dir/lib.sh"

say() { printf 'setup.sh: %s\n' "$*"; }
die() {
	printf 'setup.sh: error: %s\n' "$*" >&2
	exit 1
}

load_config "$STREAMLAB_AUTOGRADER_CONFIG" || die "$CONFIG_ERROR"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

apt_install() {
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [[ "${STREAMLAB_SETUP_APT:-1}" == 1 ]]; then
	say "installing a JDK, Maven and jq with apt-get"
	apt-get update -qq
	apt_install ca-certificates curl jq tar gzip
	# The JDK first: Maven accepts any Java runtime, and with 17 already
	# there it does not pull in an older default one.
	apt_install openjdk-17-jdk-headless
	apt_install maven
	if [[ "$PYTHON_CLIENTS" == yes ]]; then
		apt_install python3 python3-venv
	fi
fi

command -v jq >/dev/null 2>&1 || die "jq is not installed (apt-get install jq)"
# The Java the local provider will run: $JAVA_HOME's, else the one on PATH.
java="java"
if [[ -n "${JAVA_HOME:-}" ]]; then java="$JAVA_HOME/bin/java"; fi
command -v "$java" >/dev/null 2>&1 || die "$java is not installed (apt-get install openjdk-17-jdk-headless)"
java_major="$("$java" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p')"
[[ "${java_major:-0}" -ge 17 ]] || die "$java is version ${java_major:-unknown}; Kafka 4 and Pulsar 4 need 17 or newer"

# The source to build.
src="${STREAMLAB_SRC:-}"
if [[ -z "$src" ]]; then
	tarball="$AUTOGRADER_SOURCE/streamlab-src.tar.gz"
	[[ -f "$tarball" ]] || die "$tarball is missing: build the zip with make-zip, which puts streamlab's source in it"
	src="$AUTOGRADER_ROOT/streamlab-src"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xzf "$tarball" -C "$src"
	if [[ -f "$AUTOGRADER_SOURCE/streamlab-src.txt" ]]; then
		say "streamlab source: $(cat "$AUTOGRADER_SOURCE/streamlab-src.txt")"
	fi
fi
[[ -f "$src/go.mod" && -d "$src/cmd/streamlab" ]] || die "$src holds no streamlab source (no go.mod and cmd/streamlab)"

# Go: the version streamlab's go.mod asks for, from go.dev, checked
# against the SHA-256 go.dev publishes for it.
if [[ "${STREAMLAB_SETUP_GO:-1}" == 1 ]]; then
	go_version="$(awk '$1 == "toolchain" { sub(/^go/, "", $2); print $2; exit }' "$src/go.mod")"
	[[ -n "$go_version" ]] || go_version="$(awk '$1 == "go" { print $2; exit }' "$src/go.mod")"
	[[ "$go_version" == *.*.* ]] || go_version="$go_version.0" # 1.26 was released as 1.26.0
	case "$(uname -m)" in
	x86_64) go_arch=amd64 ;;
	aarch64 | arm64) go_arch=arm64 ;;
	*) die "no Go download for $(uname -m)" ;;
	esac
	go_file="go$go_version.linux-$go_arch.tar.gz"
	go_root="${STREAMLAB_GO_ROOT:-/usr/local/go}"
	go_dl="${STREAMLAB_GO_DOWNLOADS:-https://go.dev/dl}"
	say "installing Go $go_version from $go_dl into $go_root"
	want="$(curl -fsSL "$go_dl/?mode=json&include=all" |
		jq -r --arg f "$go_file" '.[].files[] | select(.filename == $f) | .sha256')" ||
		die "reading the list of Go downloads at $go_dl failed"
	[[ "$want" =~ ^[0-9a-f]{64}$ ]] || die "$go_dl lists no $go_file"
	curl -fsSL -o "$tmp/$go_file" "$go_dl/$go_file" || die "downloading $go_dl/$go_file failed"
	echo "$want  $tmp/$go_file" | sha256sum -c --quiet - >/dev/null 2>&1 ||
		die "$go_file does not match the SHA-256 $go_dl lists for it"
	rm -rf "$go_root"
	mkdir -p "$go_root"
	tar -xzf "$tmp/$go_file" -C "$go_root" --strip-components=1
	rm -f "$tmp/$go_file"
	# On the default PATH, for run_autograder and the grader's builds.
	mkdir -p "$STREAMLAB_BIN_DIR"
	ln -sf "$go_root/bin/go" "$go_root/bin/gofmt" "$STREAMLAB_BIN_DIR/"
	export PATH="$STREAMLAB_BIN_DIR:$PATH"
fi
command -v go >/dev/null 2>&1 || die "go is not installed (or run with STREAMLAB_SETUP_GO=1)"

say "building streamlab with $(go version)"
mkdir -p "$STREAMLAB_BIN_DIR"
(cd "$src" && go build -trimpath -o "$STREAMLAB_BIN_DIR/streamlab" ./cmd/streamlab)
streamlab="$STREAMLAB_BIN_DIR/streamlab"
"$streamlab" version

# streamlab's own state and settings stay out of the image's home.
export STREAMLAB_STATE_DIR="$tmp/state" STREAMLAB_CONFIG="$tmp/config.yaml"

# Which exercise, and so which brokers: an id or a slug only one has.
"$streamlab" list --format json >"$tmp/exercises.json" || die "streamlab list failed"
matches="$(jq -r --arg ex "$EXERCISE" '.[] | select(.id == $ex or (.id | sub("^[^/]*/"; "")) == $ex) | "\(.id) \(.cluster)"' "$tmp/exercises.json")"
n="$(grep -c . <<<"$matches" || true)"
case "$n" in
0) die "streamlab.conf: no exercise \"$EXERCISE\"; the exercises are: $(jq -r '[.[].id] | join(", ")' "$tmp/exercises.json")" ;;
1) ;;
*) die "streamlab.conf: \"$EXERCISE\" names several exercises ($(echo "$matches" | cut -d' ' -f1 | paste -sd' ' -)): give the whole id" ;;
esac
read -r exercise_id clusters <<<"$matches"
say "exercise $exercise_id on $clusters"

for kind in ${clusters//+/ }; do
	say "fetching the $kind jars"
	bash "$src/scripts/fetch-$kind" >/dev/null
done
if [[ "$PYTHON_CLIENTS" == yes ]]; then
	say "installing the Python clients"
	bash "$src/scripts/fetch-python-clients" >/dev/null
fi

# The workspace's module files, and every client library they name
# compiled into Go's build cache: a submission's build then compiles only
# the learner's package.
say "compiling the client libraries in $STREAMLAB_AUTOGRADER_WORKSPACE"
# Not from inside the source copy: init there would take it for a clone
# with a learner's edits.
(cd / && "$streamlab" init "$STREAMLAB_AUTOGRADER_WORKSPACE" >/dev/null)
# Only a head start: a library that fails here fails in the learner's build
# too, and says why there.
(cd "$STREAMLAB_AUTOGRADER_WORKSPACE" && go list -export -deps ./... >/dev/null) ||
	say "warning: compiling the workspace's libraries failed; submissions will compile them"

say "done: submissions are graded as $exercise_id"
