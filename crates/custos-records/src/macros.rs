//! The macro of the stored names, used here and by the store.

/// Defines a fieldless enum stored as text: serde, `as_str`, `Display` and a `FromStr` that
/// refuses an unknown name with [`UnknownName`](crate::UnknownName) (the names are only ever
/// written by custos; the store reports one as corrupt). The crate using it depends on serde.
#[macro_export]
macro_rules! stored_name_enum {
    ($(#[$meta:meta])* pub enum $name:ident ($what:literal) {
        $($(#[$variant_meta:meta])* $variant:ident = $text:literal,)*
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$variant_meta])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// The name stored in the database (and in JSON).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownName;

            fn from_str(s: &str) -> ::std::result::Result<Self, $crate::UnknownName> {
                match s {
                    $($text => Ok($name::$variant),)*
                    other => Err($crate::UnknownName {
                        what: $what,
                        name: other.to_owned(),
                    }),
                }
            }
        }
    };
}
