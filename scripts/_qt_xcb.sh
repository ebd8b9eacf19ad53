# Sourced by scripts/run: what Qt's xcb platform plugin (the X11 window) needs from the
# system. Without e.g. libxcb-cursor0 Qt only says "xcb-cursor0 is needed" and that no
# platform plugin could be loaded. The plugin's own libraries are asked (ldd) which
# dependencies are missing, and each missing library is named as its Debian package.

# libfoo.so.N is Debian's package libfooN (libfoo-N when the name ends in a digit, "_"
# written "-"), except the few below; on a release whose time_t transition renamed the
# package (Debian 13, Ubuntu 24.04: libglib2.0-0t64) the "t64" name is taken when apt
# knows only that one.
qt_lib_package() {
  local lib="$1" base num
  case "$lib" in
    libglib-2.0.so* | libgthread-2.0.so* | libgobject-2.0.so* | libgio-2.0.so* | libgmodule-2.0.so*)
      echo libglib2.0-0; return ;;
    libz.so*) echo zlib1g; return ;;
    libGLdispatch.so*) echo libglvnd0; return ;;
  esac
  base="${lib%%.so*}" num="${lib##*.so.}"
  num="${num%%.*}"
  base="$(printf '%s' "$base" | tr '[:upper:]_' '[:lower:]-')"
  case "$base" in
    *[0-9]) echo "$base-$num" ;;
    *) echo "$base$num" ;;
  esac
}

_apt_knows() {
  apt-cache show --no-all-versions "$1" >/dev/null 2>&1
}

# The package name apt knows (the t64 rename), or the name itself without apt.
qt_apt_name() {
  if command -v apt-cache >/dev/null && ! _apt_knows "$1" && _apt_knows "$1t64"; then
    echo "$1t64"
  else
    echo "$1"
  fi
}

qt_xcb_packages() {
  local qt plugin lib
  qt="$("$VENV/bin/python" -c 'import os, PySide6; print(os.path.join(os.path.dirname(PySide6.__file__), "Qt"))')" || return 0
  for plugin in "$qt/plugins/platforms/libqxcb.so" "$qt"/lib/libQt6XcbQpa.so* \
    "$qt/plugins/xcbglintegrations/libqxcb-glx-integration.so"; do
    [ -e "$plugin" ] && ldd "$plugin" 2>/dev/null
  done | awk '/not found/ {print $1}' | sort -u | while read -r lib; do
    qt_apt_name "$(qt_lib_package "$lib")"
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
    need="$(qt_xcb_packages | tr '\n' ' ')"  # the names again, now that apt's lists are fresh
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null
  else
    echo "Qt's X11 window needs these system packages: $need" >&2
    echo "  install them as root:  apt-get install $need" >&2
    exit 2
  fi
}
