#ifndef VOUCH_ATTEST_INTERNAL_JSON_WRITER_H_
#define VOUCH_ATTEST_INTERNAL_JSON_WRITER_H_

// Streams JSON text into a string without building a DOM first. Every value
// and member name is serialized by nlohmann's own serializer (escaping and
// UTF-8 validation are nlohmann's, strict: invalid UTF-8 is an error); this
// class only places the structural characters `{ } [ ] , :` between them.
// One serializer serves the whole text, so a value costs no allocation
// (json::dump() builds a serializer, a shared output adapter and a result
// string per call). Never throws: an nlohmann error marks the writer failed
// and later writes are skipped. Private to attest's signer.

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
