"""The python-daemon peer: DaemonContext with a locked pid file, then idle."""
import sys
import time

import daemon
import daemon.pidfile

with daemon.DaemonContext(pidfile=daemon.pidfile.TimeoutPIDLockFile(sys.argv[1])):
    while True:
        time.sleep(3600)
