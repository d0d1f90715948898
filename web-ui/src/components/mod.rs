//! Pure components: props in, HTML and callbacks out.

mod console;
mod events;
mod status;
mod toolbar;

pub use console::ConsolePanel;
pub use events::{EventList, EventListProps};
pub use status::{StatusBar, StatusBarProps};
pub use toolbar::Toolbar;
