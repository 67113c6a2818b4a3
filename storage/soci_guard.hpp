// Where SOCI's exceptions enter deskgate (internal to storage/): every statement runs inside
// guarded(), which turns a soci_error into StorageUnavailable (try again later: the server is
// away, the file is locked) or StorageError (anything else).
#pragma once

#include <soci/soci.h>

#include "storage/database.hpp"

namespace deskgate {

[[noreturn]] void throwStorageFailure(const char* what, const soci::soci_error& e);

template <typename F>
auto guarded(const char* what, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const soci::soci_error& e) {
        throwStorageFailure(what, e);
    }
}

}  // namespace deskgate
