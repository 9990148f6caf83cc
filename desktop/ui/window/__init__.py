"""The main window's parts: an application state that emits signals, controllers that
change it (models, conversations, generation), actions as data, and the links that make
each view follow the state. ``desktop.ui.main_window`` only assembles them."""
