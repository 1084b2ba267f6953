#!/bin/sh
# Print the path of a Python >= 3.12: first on PATH, then under pyenv's versions.
# Exit 1 with a clear message when there is none.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

for name in python3.13 python3.12 python3 python; do
    path=$(command -v "$name" 2>/dev/null) || continue
    if ok "$path"; then echo "$path"; exit 0; fi
done

root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for path in $(ls -d "$root"/versions/*/bin/python3 2>/dev/null | sort -rV); do
    if ok "$path"; then echo "$path"; exit 0; fi
done

echo "Muster needs Python 3.12 or newer, and none was found on PATH or under $root/versions." >&2
echo "Install one (for example 'pyenv install 3.12') and run make again." >&2
exit 1
