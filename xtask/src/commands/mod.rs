pub mod assembler;
pub mod bench;
pub mod boot;
pub mod calibrate;
pub mod iso;
pub mod run;
pub mod serve;
pub mod test;
