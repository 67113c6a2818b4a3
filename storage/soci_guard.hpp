// Where SOCI's exceptions enter deskgate (internal to storage/): every statement runs inside
// guarded(), which turns a soci_error into StorageUnavailable (try again later: the server is
// away, the file is locked) or StorageError (anything else).
#pragma once

#include <memory>
#include <typeinfo>
#include <utility>

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

// Runs f(S&) on the session's instance of the prepared statement S (database.hpp's Prepared),
// made on first use. A statement that failed is dropped and made again next time: its state
// after an error (an aborted transaction, a lost connection) is not to be trusted.
template <class S, typename F>
auto withPrepared(SociDatabase& db, const char* what, F&& f) -> decltype(f(std::declval<S&>())) {
    return guarded(what, [&]() -> decltype(f(std::declval<S&>())) {
        soci::session& session = db.session();  // first: it may reconnect, dropping every prepared statement
        auto* st = static_cast<S*>(db.findPrepared(typeid(S)));
        if (st == nullptr) st = static_cast<S*>(db.keepPrepared(typeid(S), std::make_unique<S>(session)));
        try {
            return f(*st);
        } catch (...) {
            db.dropPrepared(typeid(S));
            throw;
        }
    });
}

// Executes a prepared statement that yields at most one row (into its variables; true if it
// did) and steps it to its end: SQLite keeps a statement that stopped on a row active, and an
// active statement holds its snapshot open and, for INSERT ... RETURNING, blocks COMMIT.
inline bool runOnce(soci::statement& st) {
    const bool got = st.execute(true);
    if (got)
        while (st.fetch()) {
        }
    return got;
}

}  // namespace deskgate
