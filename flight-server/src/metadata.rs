//! What the server tells BI tools and drivers about itself: `CommandGetSqlInfo` (name,
//! version, SQL grammar, identifier rules) and `CommandGetXdbcTypeInfo` (the types results have).

use arrow_flight::sql::metadata::{
    SqlInfoData, SqlInfoDataBuilder, XdbcTypeInfo, XdbcTypeInfoData, XdbcTypeInfoDataBuilder,
};
use arrow_flight::sql::{
    Nullable, Searchable, SqlInfo, SqlNullOrdering, SqlOuterJoinsSupportLevel,
    SqlSupportedCaseSensitivity, SupportedSqlGrammar, XdbcDataType, XdbcDatetimeSubcode,
};

use crate::{Error, Result};

/// Words of Drill's dialect beyond SQL:2003's that tools must quote.
const KEYWORDS: &[&str] = &[
    "FLATTEN",
    "KVGEN",
    "FILES",
    "SCHEMAS",
    "DATABASES",
    "USE",
    "REFRESH",
    "METADATA",
];

pub(crate) fn sql_info(function_names: &[String]) -> Result<SqlInfoData> {
    let mut b = SqlInfoDataBuilder::new();
    b.append(SqlInfo::FlightSqlServerName, "Auger");
    b.append(SqlInfo::FlightSqlServerVersion, env!("CARGO_PKG_VERSION"));
    b.append(SqlInfo::FlightSqlServerArrowVersion, "59");
    b.append(SqlInfo::FlightSqlServerReadOnly, false);
    b.append(SqlInfo::FlightSqlServerSql, true);
    b.append(SqlInfo::FlightSqlServerSubstrait, false);
    b.append(SqlInfo::FlightSqlServerTransaction, 0i32);
    b.append(SqlInfo::FlightSqlServerCancel, true);
    b.append(SqlInfo::FlightSqlServerBulkIngestion, false);
    b.append(SqlInfo::FlightSqlServerStatementTimeout, 0i32);
    b.append(SqlInfo::SqlDdlCatalog, false);
    b.append(SqlInfo::SqlDdlSchema, false);
    b.append(SqlInfo::SqlDdlTable, true);
    b.append(
        SqlInfo::SqlIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityCaseInsensitive as i32,
    );
    b.append(SqlInfo::SqlIdentifierQuoteChar, "`");
    b.append(
        SqlInfo::SqlQuotedIdentifierCase,
        SqlSupportedCaseSensitivity::SqlCaseSensitivityCaseInsensitive as i32,
    );
    b.append(SqlInfo::SqlAllTablesAreSelectable, true);
    b.append(
        SqlInfo::SqlNullOrdering,
        SqlNullOrdering::SqlNullsSortedHigh as i32,
    );
    b.append(SqlInfo::SqlKeywords, KEYWORDS);
    let upper: Vec<String> = function_names.iter().map(|f| f.to_uppercase()).collect();
    let pick = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .filter(|n| upper.iter().any(|u| u == *n))
            .map(|n| n.to_string())
            .collect()
    };
    b.append(
        SqlInfo::SqlNumericFunctions,
        pick(&[
            "ABS", "ACOS", "ASIN", "ATAN", "ATAN2", "CEIL", "COS", "COT", "DEGREES", "EXP",
            "FLOOR", "LN", "LOG", "LOG10", "LOG2", "MOD", "PI", "POWER", "RADIANS", "RANDOM",
            "ROUND", "SIGN", "SIN", "SQRT", "TAN", "TRUNC",
        ]),
    );
    b.append(
        SqlInfo::SqlStringFunctions,
        pick(&[
            "ASCII",
            "BTRIM",
            "CHARACTER_LENGTH",
            "CHR",
            "CONCAT",
            "INITCAP",
            "LEFT",
            "LENGTH",
            "LOWER",
            "LPAD",
            "LTRIM",
            "REGEXP_REPLACE",
            "REPEAT",
            "REPLACE",
            "REVERSE",
            "RIGHT",
            "RPAD",
            "RTRIM",
            "SPLIT_PART",
            "STRPOS",
            "SUBSTR",
            "SUBSTRING",
            "TRANSLATE",
            "TRIM",
            "UPPER",
        ]),
    );
    b.append(
        SqlInfo::SqlSystemFunctions,
        pick(&["TYPEOF", "SQLTYPEOF", "ARROW_TYPEOF", "COALESCE", "NULLIF"]),
    );
    b.append(
        SqlInfo::SqlDatetimeFunctions,
        pick(&[
            "CURRENT_DATE",
            "CURRENT_TIME",
            "NOW",
            "DATE_BIN",
            "DATE_PART",
            "DATE_TRUNC",
            "EXTRACT",
            "FROM_UNIXTIME",
            "TO_DATE",
            "TO_TIMESTAMP",
            "TO_CHAR",
        ]),
    );
    b.append(SqlInfo::SqlSearchStringEscape, "\\");
    b.append(SqlInfo::SqlExtraNameCharacters, "");
    b.append(SqlInfo::SqlSupportsColumnAliasing, true);
    b.append(SqlInfo::SqlNullPlusNullIsNull, true);
    b.append(SqlInfo::SqlSupportsTableCorrelationNames, true);
    b.append(SqlInfo::SqlSupportsDifferentTableCorrelationNames, false);
    b.append(SqlInfo::SqlSupportsExpressionsInOrderBy, true);
    b.append(SqlInfo::SqlSupportsOrderByUnrelated, true);
    b.append(SqlInfo::SqlSupportsLikeEscapeClause, true);
    b.append(SqlInfo::SqlSupportsNonNullableColumns, true);
    b.append(
        SqlInfo::SqlSupportedGrammar,
        SupportedSqlGrammar::SqlCoreGrammar as i32,
    );
    b.append(
        SqlInfo::SqlOuterJoinsSupportLevel,
        SqlOuterJoinsSupportLevel::SqlFullOuterJoins as i32,
    );
    b.append(SqlInfo::SqlSchemaTerm, "schema");
    b.append(SqlInfo::SqlProcedureTerm, "procedure");
    b.append(SqlInfo::SqlCatalogTerm, "catalog");
    b.append(SqlInfo::SqlCatalogAtStart, true);
    b.append(SqlInfo::SqlSelectForUpdateSupported, false);
    b.append(SqlInfo::SqlStoredProceduresSupported, false);
    b.append(SqlInfo::SqlCorrelatedSubqueriesSupported, true);
    b.append(SqlInfo::SqlTransactionsSupported, false);
    b.append(SqlInfo::SqlMaxColumnNameLength, 0i64);
    b.append(SqlInfo::SqlMaxStatementLength, 0i64);
    b.build()
        .map_err(|e| Error::Server(format!("cannot build the SQL info table (a bug): {e}")))
}

fn type_info(
    name: &str,
    data_type: XdbcDataType,
    column_size: Option<i32>,
    quoted: bool,
) -> XdbcTypeInfo {
    let numeric = matches!(
        data_type,
        XdbcDataType::XdbcTinyint
            | XdbcDataType::XdbcSmallint
            | XdbcDataType::XdbcInteger
            | XdbcDataType::XdbcBigint
            | XdbcDataType::XdbcFloat
            | XdbcDataType::XdbcReal
            | XdbcDataType::XdbcDouble
            | XdbcDataType::XdbcDecimal
    );
    let datetime = match data_type {
        // XDBC's DATE subcode is an alias of YEAR (1).
        XdbcDataType::XdbcDate => Some(XdbcDatetimeSubcode::XdbcSubcodeYear),
        XdbcDataType::XdbcTime => Some(XdbcDatetimeSubcode::XdbcSubcodeTime),
        XdbcDataType::XdbcTimestamp => Some(XdbcDatetimeSubcode::XdbcSubcodeTimestamp),
        _ => None,
    };
    let sql_data_type = if datetime.is_some() {
        XdbcDataType::XdbcDatetime
    } else {
        data_type
    };
    XdbcTypeInfo {
        type_name: name.to_string(),
        data_type,
        column_size,
        literal_prefix: quoted.then(|| "'".to_string()),
        literal_suffix: quoted.then(|| "'".to_string()),
        create_params: (data_type == XdbcDataType::XdbcDecimal)
            .then(|| vec!["precision".to_string(), "scale".to_string()]),
        nullable: Nullable::NullabilityNullable,
        case_sensitive: matches!(data_type, XdbcDataType::XdbcVarchar),
        searchable: Searchable::Full,
        unsigned_attribute: numeric.then_some(false),
        fixed_prec_scale: false,
        auto_increment: numeric.then_some(false),
        local_type_name: Some(name.to_string()),
        minimum_scale: (data_type == XdbcDataType::XdbcDecimal).then_some(0),
        maximum_scale: (data_type == XdbcDataType::XdbcDecimal).then_some(38),
        sql_data_type,
        datetime_subcode: datetime,
        num_prec_radix: numeric.then_some(10),
        interval_precision: None,
    }
}

/// The SQL types Auger's results have (what `SQLTYPEOF` names), with their XDBC codes.
pub(crate) fn xdbc_type_info() -> Result<XdbcTypeInfoData> {
    let mut b = XdbcTypeInfoDataBuilder::new();
    for info in [
        type_info("BOOLEAN", XdbcDataType::XdbcBit, Some(1), false),
        type_info("TINYINT", XdbcDataType::XdbcTinyint, Some(3), false),
        type_info("SMALLINT", XdbcDataType::XdbcSmallint, Some(5), false),
        type_info("INTEGER", XdbcDataType::XdbcInteger, Some(10), false),
        type_info("BIGINT", XdbcDataType::XdbcBigint, Some(19), false),
        type_info("FLOAT", XdbcDataType::XdbcFloat, Some(7), false),
        type_info("DOUBLE", XdbcDataType::XdbcDouble, Some(15), false),
        type_info("DECIMAL", XdbcDataType::XdbcDecimal, Some(38), false),
        type_info("VARCHAR", XdbcDataType::XdbcVarchar, Some(65536), true),
        type_info("VARBINARY", XdbcDataType::XdbcVarbinary, Some(65536), true),
        type_info("DATE", XdbcDataType::XdbcDate, Some(10), true),
        type_info("TIME", XdbcDataType::XdbcTime, Some(12), true),
        type_info("TIMESTAMP", XdbcDataType::XdbcTimestamp, Some(23), true),
        type_info("INTERVAL", XdbcDataType::XdbcInterval, None, true),
    ] {
        b.append(info);
    }
    b.build()
        .map_err(|e| Error::Server(format!("cannot build the type info table (a bug): {e}")))
}
