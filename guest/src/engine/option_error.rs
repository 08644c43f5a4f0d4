//! The error of a refused option, shared by the option checks and the
//! name tables (a leaf).

/// `{options, {Opt, Val}}` with a sentence for `format_error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionError {
    /// The option's Erlang name.
    pub option: String,
    /// The value as written by the user.
    pub value: String,
    /// What is wrong with it.
    pub detail: String,
}

impl OptionError {
    pub(crate) fn new(option: &str, value: impl Into<String>, detail: impl Into<String>) -> Self {
        OptionError {
            option: option.into(),
            value: value.into(),
            detail: detail.into(),
        }
    }
}
