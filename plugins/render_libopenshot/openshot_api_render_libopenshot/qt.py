"""A QGuiApplication for processes that draw text through libopenshot (SVG titles, captions):
Qt's font database crashes without one. Made through Qt's C++ constructor with ctypes, since no
Python Qt binding is installed, on the offscreen platform (no display needed)."""
import ctypes
import os

_keep_alive = []  # Qt keeps pointers to argc/argv and the object for the life of the process
QT_VERSION = 0x050F00


def ensure_gui_application(name=b"openshot-api"):
    """Create the process's QGuiApplication unless a Q(Core/Gui)Application already exists."""
    core = ctypes.CDLL("libQt5Core.so.5", mode=ctypes.RTLD_GLOBAL)
    if ctypes.c_void_p.in_dll(core, "_ZN16QCoreApplication4selfE").value:
        return
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    gui = ctypes.CDLL("libQt5Gui.so.5", mode=ctypes.RTLD_GLOBAL)
    argc = ctypes.c_int(1)
    argv = (ctypes.c_char_p * 2)(name, None)
    app = ctypes.create_string_buffer(1024)  # larger than sizeof(QGuiApplication)
    gui._ZN15QGuiApplicationC1ERiPPci(app, ctypes.byref(argc), argv, QT_VERSION)
    _keep_alive.extend([argc, argv, app])
