// Versioned schema migrations, applied at start (each in its own transaction).
#pragma once

#include "storage/database.hpp"

namespace deskgate {

// Applies every migration newer than the database's version; returns the version now in force.
int migrate(soci::session& sql, Backend backend);

// The newest schema version this build knows.
int latestSchemaVersion();

}  // namespace deskgate
