#ifndef VOUCH_ATTEST_INTERNAL_JSON_WRITER_H_
#define VOUCH_ATTEST_INTERNAL_JSON_WRITER_H_

// Streams JSON text into a string without building a DOM first. Every value
// and member name is serialized by nlohmann's own serializer (escaping and
// UTF-8 validation are nlohmann's, strict: invalid UTF-8 is an error), except
// strings of printable ASCII with no '"' or '\\', which need neither and are
// copied as they are; this class only places the structural characters
// `{ } [ ] , :` between them.
// One serializer serves the whole text, so a value costs no allocation
// (json::dump() builds a serializer, a shared output adapter and a result
// string per call). Never throws: an nlohmann error marks the writer failed
// and later writes are skipped. Private to attest's signer.

#include <array>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

static_assert(NLOHMANN_JSON_VERSION_MAJOR == 3,
              "JsonWriter uses nlohmann::detail::serializer of json 3.x");

namespace vouch::attest::internal {

class JsonWriter {
 public:
  using json = nlohmann::json;

  // Appends to *out, which must outlive the writer.
  explicit JsonWriter(std::string* out)
      : out_(out),
        serializer_(nlohmann::detail::output_adapter<char, std::string>(*out), ' ',
                    json::error_handler_t::strict),
        string_(json::value_t::string) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }

  // A member name; the next write is its value.
  void Key(std::string_view name) {
    String(name);
    if (!ok_) return;
    out_->push_back(':');
    first_ = true;
  }
  void String(std::string_view value) {
    if (!ok_) return;
    Separator();
    if (NeedsNoEscape(value)) {
      // What nlohmann writes for such a string, byte for byte; salts,
      // digests, names and most values take this path.
      out_->push_back('"');
      out_->append(value);
      out_->push_back('"');
      return;
    }
    string_.get_ref<std::string&>().assign(value.data(), value.size());
    Dump(string_);
  }
  void Int(int64_t value) {
    if (!ok_) return;
    Separator();
    Dump(json(value));
  }
  void Bool(bool value) {
    if (!ok_) return;
    Separator();
    Dump(json(value));
  }
  // Any DOM value (objects come out in nlohmann's key order).
  void Value(const json& value) {
    if (!ok_) return;
    Separator();
    Dump(value);
  }

  // False once any value failed to serialize (invalid UTF-8); the text is
  // then incomplete and must be discarded.
  bool ok() const { return ok_; }
  // Starts over on an emptied output string (keeps its capacity).
  void Reset() {
    out_->clear();
    first_ = true;
    ok_ = true;
  }

 private:
  // Printable ASCII without '"' and '\\': JSON text as it stands, with
  // nothing to escape or validate. A table lookup per byte (the comparisons
  // are not vectorized at -O2 and cost 4x as much).
  static bool NeedsNoEscape(std::string_view value) {
    static constexpr std::array<unsigned char, 256> kPlain = [] {
      std::array<unsigned char, 256> t{};
      for (int c = 0x20; c < 0x7f; ++c) t[c] = c != '"' && c != '\\';
      return t;
    }();
    unsigned char plain = 1;
    for (const char c : value) plain &= kPlain[static_cast<unsigned char>(c)];
    return plain != 0;
  }

  void Separator() {
    if (!first_) out_->push_back(',');
    first_ = false;
  }
  void Open(char c) {
    if (!ok_) return;
    Separator();
    out_->push_back(c);
    first_ = true;
  }
  void Close(char c) {
    if (!ok_) return;
    out_->push_back(c);
    first_ = false;
  }
  void Dump(const json& value) {
    try {
      serializer_.dump(value, /*pretty_print=*/false, /*ensure_ascii=*/false,
                       /*indent_step=*/0);
    } catch (const std::exception&) {  // type_error 316: invalid UTF-8.
      ok_ = false;
    }
  }

  std::string* out_;
  nlohmann::detail::serializer<json> serializer_;
  json string_;  // Reused for every string: no allocation once grown.
  bool first_ = true;
  bool ok_ = true;
};

}  // namespace vouch::attest::internal

#endif  // VOUCH_ATTEST_INTERNAL_JSON_WRITER_H_
