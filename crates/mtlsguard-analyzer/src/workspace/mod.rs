pub(crate) mod resolve;
