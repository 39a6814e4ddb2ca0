#!/usr/bin/env bash
# Runs on the virtual machine's first boot, as root on its serial console (tools/vm/drive.py
# provision): installs kejia exactly as firmware-notes/os-image.md step 8 says, on the live
# system, then adds what the test needs: a staff account, and a second kiosk token for the
# kiosk that draws the reference pictures on the host. The token is the last line printed.
#
#   first-boot.sh STAFF_USER STAFF_PASSWORD
set -euo pipefail

STAFF_USER=$1
STAFF_PASSWORD=$2

bash /root/kejia-install/deploy/install.sh --binary /root/kejia-install/kejia
cd /
printf '%s\n' "$STAFF_PASSWORD" |
    runuser -u kejia -- /usr/local/bin/kejia user add --data /var/lib/kejia/home \
        --username "$STAFF_USER" --role staff --password-stdin >/dev/null
token=$(runuser -u kejia -- /usr/local/bin/kejia token add --data /var/lib/kejia/home \
    --name 参照签到机 --role kiosk)
rm -rf /root/kejia-install
echo "first-boot.sh: the reference kiosk's token follows"
echo "$token"
