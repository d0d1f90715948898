pub mod assembler;
pub mod boot;
pub mod run;
pub mod serve;
pub mod test;
