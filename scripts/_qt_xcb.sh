# Sourced by scripts/run: what Qt's xcb platform plugin (the X11 window) needs from the
# system. Without e.g. libxcb-cursor0 Qt only says "xcb-cursor0 is needed" and that no
# platform plugin could be loaded. The plugin's own libraries are asked (ldd) which
# dependencies are missing; each missing libfoo.so.N is Debian's package libfooN
# (libfoo-N when the name ends in a digit).

qt_xcb_packages() {
  local qt plugin
  qt="$("$VENV/bin/python" -c 'import os, PySide6; print(os.path.join(os.path.dirname(PySide6.__file__), "Qt"))')" || return 0
  for plugin in "$qt/plugins/platforms/libqxcb.so" "$qt"/lib/libQt6XcbQpa.so*; do
    [ -e "$plugin" ] && ldd "$plugin" 2>/dev/null
  done | awk '/not found/ {print $1}' | sort -u | while read -r lib; do
    local base="${lib%%.so*}" num="${lib##*.so.}"
    num="${num%%.*}"
    base="$(printf '%s' "$base" | tr '[:upper:]' '[:lower:]')"
    case "$base" in
      *[0-9]) echo "$base-$num" ;;
      *) echo "$base$num" ;;
    esac
  done | sort -u
}

ensure_qt_xcb() {
  case "${QT_QPA_PLATFORM:-xcb}" in
    xcb*) ;;
    *) return 0 ;;  # offscreen, wayland, ...: the xcb plugin is not used
  esac
  local need
  need="$(qt_xcb_packages | tr '\n' ' ')"
  need="${need% }"
  [ -z "$need" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing what Qt's X11 window needs: $need" >&2
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null
  else
    echo "Qt's X11 window needs these system packages: $need" >&2
    echo "  e.g. sudo apt-get install $need" >&2
    exit 2
  fi
}
