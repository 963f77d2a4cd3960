// Open MPI's C interface for Swift: the handles that are macros in mpi.h (MPI_COMM_WORLD,
// the datatypes, MPI_SUM, MPI_IN_PLACE, MPI_ERRORS_RETURN) as functions Swift can call.
#include <mpi.h>

static inline MPI_Comm diffuse_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype diffuse_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype diffuse_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype diffuse_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op diffuse_mpi_sum(void) { return MPI_SUM; }
static inline void *diffuse_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler diffuse_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Request diffuse_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *diffuse_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int diffuse_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
