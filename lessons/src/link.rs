//! Lessons and programs in a link: the text is compressed (deflate) and
//! written in base64url into the URL's fragment, which the browser never
//! sends to a server. Decoding is bounded, so a hostile link cannot make
//! the page inflate gigabytes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Beyond this many characters, a link is too long to be shared reliably
/// (mail clients and chat programs cut or refuse longer ones).
pub const LINK_LIMIT: usize = 16_000;

/// At most this many bytes come out of one decoded text.
pub const DECODED_LIMIT: usize = 1 << 20;

/// Compress `text` for a link.
pub fn encode(text: &str) -> String {
    encode_bytes(text.as_bytes())
}

/// Compress bytes (an ELF file) for a link.
pub fn encode_bytes(bytes: &[u8]) -> String {
    let compressed = miniz_oxide::deflate::compress_to_vec(bytes, 9);
    URL_SAFE_NO_PAD.encode(compressed)
}

/// The text a link carries, or why it cannot be read.
pub fn decode(encoded: &str) -> Result<String, String> {
    let bytes = decode_bytes(encoded)?;
    String::from_utf8(bytes).map_err(|_| "the link's text is not UTF-8 text".to_string())
}

/// The bytes a link carries, or why they cannot be read.
pub fn decode_bytes(encoded: &str) -> Result<Vec<u8>, String> {
    let compressed = URL_SAFE_NO_PAD
        .decode(encoded.trim().trim_end_matches('='))
        .map_err(|error| format!("the link's text is damaged ({error}); ask for the link again"))?;
    miniz_oxide::inflate::decompress_to_vec_with_limit(&compressed, DECODED_LIMIT).map_err(|error| {
        if matches!(error.status, miniz_oxide::inflate::TINFLStatus::HasMoreOutput) {
            format!("the link's text is larger than {} KB; it is not opened", DECODED_LIMIT / 1024)
        } else {
            "the link's text is damaged (it does not decompress); ask for the link again".to_string()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_survives_the_link_and_damage_is_reported() {
        let lesson = "# A lesson\n\n## Step\n\n**Go:** ipc from ping to pong\n".repeat(20);
        let encoded = encode(&lesson);
        assert!(encoded.len() < lesson.len() / 4, "{} of {}", encoded.len(), lesson.len());
        assert!(encoded.chars().all(|character| character.is_ascii_alphanumeric() || "-_".contains(character)));
        assert_eq!(decode(&encoded), Ok(lesson));
        assert!(decode("!!!").unwrap_err().contains("damaged"));
        assert!(decode(&URL_SAFE_NO_PAD.encode(b"not deflate")).unwrap_err().contains("damaged"));
        let bomb = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&vec![b'a'; DECODED_LIMIT + 1], 9));
        assert!(decode(&bomb).unwrap_err().contains("larger than"));
    }
}
