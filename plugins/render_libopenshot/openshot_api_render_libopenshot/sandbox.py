"""The box every libopenshot child and ffmpeg command runs in.

libopenshot, ffmpeg and Qt parse what users send (media, SVG, project json), so they run with
bubblewrap (``bwrap``): no network (a network namespace of their own), no other processes in
view, a file system that holds the system's libraries and fonts, the Python that runs the
child, the job's own media (read-only) and a private scratch folder (the only writable place),
nothing else: not the database, the session secret, other users' media, or /etc. Resource
limits (address space, CPU time, file size, processes, open files) are set by prlimit inside
the box, and when the worker runs as root the job runs as an unprivileged user
(``openshot_api.render.sandbox_user``, ``nobody`` by default) so the process limit counts.

``openshot_api.render.sandbox``: ``bwrap`` (the default) or ``none`` (no box at all, for a
machine where the operator isolates workers another way); a missing bwrap is a start-up error.
"""
import os
import pwd
import shutil
import stat
import sys
from dataclasses import dataclass
from typing import Iterable, Optional

from openshot_api.interfaces import ConfigurationError

# What the children need from the host, read-only, when present.
SYSTEM_PATHS = ("/usr", "/etc/fonts", "/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime",
                "/var/cache/fontconfig")
MERGED_USR_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Variables a child may inherit; everything else (secrets, database URLs) stays outside.
PASSED_ENV = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "FONTCONFIG_FILE", "QT_QPA_PLATFORM",
              "QT_SCALE_FACTOR", "OMP_NUM_THREADS")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed process tree (0: no limit)."""
    memory_mb: int = 0       # address space of each process
    cpu_seconds: int = 0     # CPU time of each process
    file_mb: int = 0         # largest file it may write
    processes: int = 0       # processes and threads of the sandbox user
    open_files: int = 1024

    def prlimit_args(self) -> list:
        args = []
        if self.memory_mb:
            args.append(f"--as={self.memory_mb * 1024 * 1024}")
        if self.cpu_seconds:
            args.append(f"--cpu={self.cpu_seconds}")
        if self.file_mb:
            args.append(f"--fsize={self.file_mb * 1024 * 1024}")
        if self.processes:
            args.append(f"--nproc={self.processes}")
        if self.open_files:
            args.append(f"--nofile={self.open_files}")
        return args


def _python_roots() -> list:
    """Folders the child's Python needs: the interpreter's install, the virtualenv, and the
    folders our packages are imported from (editable installs live in the source tree, which
    must not be shown whole: it holds the instance's var/ folder)."""
    import openshot_api

    roots = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for module in (openshot_api, sys.modules[__package__]):
        roots.add(os.path.dirname(os.path.realpath(module.__file__)))
    try:
        import openshot
        roots.add(os.path.dirname(os.path.realpath(openshot.__file__)))
    except ImportError:
        pass
    return sorted(roots)


def _package_parents() -> list:
    """The import path the child needs for our two packages (they may be editable installs)."""
    import openshot_api

    parents = []
    for module in (openshot_api, sys.modules[__package__]):
        parent = os.path.dirname(os.path.dirname(os.path.realpath(module.__file__)))
        if parent not in parents:
            parents.append(parent)
    return parents


class Sandbox:
    """Builds the command line that runs a program inside the box."""

    def __init__(self, mode: str = "bwrap", user: str = "nobody"):
        self.mode = (mode or "bwrap").strip().lower()
        if self.mode not in ("bwrap", "none"):
            raise ConfigurationError(f"openshot_api.render.sandbox must be bwrap or none, not {mode!r}")
        self.bwrap = self.prlimit = self.setpriv = None
        self.uid = self.gid = None
        if self.mode == "none":
            return
        self.bwrap = shutil.which("bwrap")
        self.prlimit = shutil.which("prlimit")
        if not self.bwrap or not self.prlimit:
            raise ConfigurationError(
                "openshot_api.render.sandbox = bwrap needs bubblewrap (bwrap) and prlimit "
                "(util-linux) installed: scripts/install.sh installs them (apt-get install "
                "bubblewrap). Renders never run unsandboxed unless the setting says none.")
        if os.geteuid() == 0:
            self.setpriv = shutil.which("setpriv")
            try:
                account = pwd.getpwnam(user) if not str(user).isdigit() else pwd.getpwuid(int(user))
            except KeyError:
                raise ConfigurationError(f"openshot_api.render.sandbox_user: no user {user!r}") from None
            if not self.setpriv or account.pw_uid == 0:
                raise ConfigurationError("openshot_api.render.sandbox_user must be an unprivileged "
                                         "user, and setpriv (util-linux) installed.")
            self.uid, self.gid = account.pw_uid, account.pw_gid
        self.roots = _python_roots()
        self.import_path = _package_parents()

    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    def prepare_scratch(self, folder: str) -> None:
        """Let the sandbox user write in ``folder`` (the only writable place)."""
        if self.enabled and self.uid is not None:
            os.chown(folder, self.uid, self.gid)

    def grant_read(self, paths: Iterable[str]) -> None:
        """Let the sandbox user read the job's own files. Each is bound into the box by itself,
        so its folders keep their protection; only the file gains read access for others
        (storage may have written it 0600)."""
        if not self.enabled or self.uid is None:
            return
        for path in paths:
            try:
                mode = os.stat(path).st_mode
                if stat.S_ISREG(mode) and not mode & stat.S_IROTH:
                    os.chmod(path, stat.S_IMODE(mode) | stat.S_IROTH)
            except OSError:
                pass  # a missing file fails later, with the reader's own message

    def python_command(self, module: str, readable: Iterable[str], scratch: str,
                       limits: Optional[Limits] = None, python: Optional[str] = None,
                       staging: Optional[str] = None) -> list:
        """The command running ``python -m module`` in the box. The virtualenv's interpreter is
        used (its site-packages hold what the child imports) and PYTHONPATH names the folders
        of our two packages, which may be editable installs."""
        python = python or sys.executable
        if not self.enabled:
            return [python, "-m", module]
        env = {"PYTHONPATH": ":".join(self.import_path), "PYTHONDONTWRITEBYTECODE": "1"}
        return self.wrap([python, "-m", module], readable, scratch, limits, env, staging)

    def wrap(self, argv: list, readable: Iterable[str], scratch: str,
             limits: Optional[Limits] = None, extra_env: Optional[dict] = None,
             staging: Optional[str] = None) -> list:
        """``argv`` run inside the box, seeing ``readable`` (files or folders, read-only),
        ``scratch`` (read-write, also its working folder and HOME) and ``staging`` (a folder,
        read-only, where media may be linked after the box started: see warm.py)."""
        if not self.enabled:
            return list(argv)
        readable = [os.path.abspath(p) for p in readable if p]
        self.grant_read(readable)
        cmd = [self.bwrap, "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
               "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv",
               "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        made = {"/", "/proc", "/dev", "/tmp"}

        def parents(path):
            parts = path.strip("/").split("/")[:-1]
            for i in range(1, len(parts) + 1):
                folder = "/" + "/".join(parts[:i])
                if folder not in made:
                    made.add(folder)
                    cmd.extend(["--perms", "0755", "--dir", folder])

        for link in MERGED_USR_LINKS:
            if os.path.islink(link):
                cmd.extend(["--symlink", os.readlink(link), link])
                made.add(link)
        binds = [p for p in SYSTEM_PATHS if os.path.exists(p)] + list(self.roots)
        fonts = os.environ.get("FONTCONFIG_FILE")
        if fonts and os.path.isabs(fonts):
            binds.append(os.path.dirname(fonts))
        binds += readable
        bound = []
        for path in sorted(set(binds), key=lambda p: (p.count("/"), p)):
            if not os.path.exists(path) or path in made \
                    or any(path.startswith(b.rstrip("/") + "/") for b in bound):
                continue
            bound.append(path)
            parents(path)
            cmd.extend(["--ro-bind", path, path])
            made.add(path)
        scratch = os.path.abspath(scratch)
        parents(scratch)
        cmd.extend(["--bind", scratch, scratch, "--chdir", scratch])
        if staging:
            staging = os.path.abspath(staging)
            parents(staging)
            cmd.extend(["--ro-bind", staging, staging])
        env = {"PATH": "/usr/bin:/bin", "HOME": scratch, "TMPDIR": scratch,
               "XDG_CACHE_HOME": os.path.join(scratch, ".cache"), "QT_QPA_PLATFORM": "offscreen"}
        env.update({k: os.environ[k] for k in PASSED_ENV if k in os.environ})
        env.update(extra_env or {})
        for key, value in env.items():
            cmd.extend(["--setenv", key, value])
        cmd.append("--")
        cmd.extend([self.prlimit, *(limits or Limits()).prlimit_args(), "--"])
        if self.uid is not None:
            cmd.extend([self.setpriv, f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"])
        return cmd + list(argv)
