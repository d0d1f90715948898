pub mod assembler;
pub mod boot;
pub mod serve;
pub mod test;
