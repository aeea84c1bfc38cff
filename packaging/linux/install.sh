#!/bin/sh
# Add Pedicle Planner to this user's applications menu, with its icon and the plan-file
# type (*.ppplan.json opens in it). Run from the unpacked folder:  ./install.sh
# Remove with:  ./install.sh --uninstall
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
RES="$HERE/_internal/resources"
if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$DATA/applications/pedicle-planner.desktop" \
        "$DATA/icons/hicolor/256x256/apps/pedicle-planner.png" \
        "$DATA/icons/hicolor/scalable/apps/pedicle-planner.svg" \
        "$DATA/mime/packages/pedicle-planner.xml"
  echo "Pedicle Planner removed from the menu."
else
  mkdir -p "$DATA/applications" "$DATA/icons/hicolor/256x256/apps" \
           "$DATA/icons/hicolor/scalable/apps" "$DATA/mime/packages"
  sed "s|^Exec=.*|Exec=\"$HERE/pedicle-planner\" %f|" "$RES/pedicle-planner.desktop" \
    > "$DATA/applications/pedicle-planner.desktop"
  cp "$RES/pedicle-planner.png" "$DATA/icons/hicolor/256x256/apps/pedicle-planner.png"
  cp "$RES/pedicle-planner.svg" "$DATA/icons/hicolor/scalable/apps/pedicle-planner.svg"
  cp "$RES/pedicle-planner-mime.xml" "$DATA/mime/packages/pedicle-planner.xml"
  echo "Pedicle Planner added to the applications menu ($DATA/applications)."
fi
command -v update-mime-database >/dev/null && update-mime-database "$DATA/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$DATA/applications" || true
