"""The Lab window: the four experiments of ``desktop.core.lab``, each a view with a
chart, run in a worker thread with progress, ETA and cancel; results saved in the store."""
