# soak_gdb.py: loaded into gdb by soak.py. For SOAK_SECONDS: continue to
# hit() in a new thread, step a few instructions and a line in it, and now
# and then list the threads and a backtrace; then kill the program.
import os
import time

import gdb

end = time.monotonic() + float(os.environ["SOAK_SECONDS"])
gdb.execute("set pagination off")
gdb.execute("set print thread-events off")
gdb.execute("break hit")
n = 0
while time.monotonic() < end:
    gdb.execute("continue", to_string=True)
    gdb.execute("stepi 4", to_string=True)
    gdb.execute("next", to_string=True)
    n += 1
    if n % 50 == 0:
        gdb.execute("info threads", to_string=True)
        gdb.execute("bt", to_string=True)
hits = int(gdb.parse_and_eval("hits"))
print("SOAK-DONE iterations=%d hits=%d" % (n, hits))
gdb.execute("kill")
