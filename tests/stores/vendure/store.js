// A real Vendure store for Stockledger's tests and benchmarks.
//
// Configured from the environment: VENDURE_PORT (required), VENDURE_DB (PostgreSQL database,
// created by the caller), PGHOST/PGPORT/PGUSER/PGPASSWORD, VENDURE_ADMIN_PASSWORD.
// Prints "READY <port>" once the APIs answer.
'use strict';
const {
    bootstrap,
    DefaultLogger,
    LogLevel,
    dummyPaymentHandler,
} = require('@vendure/core');
const { StockledgerGuardPlugin } = require('./stock-guard-plugin');

const port = Number(process.env.VENDURE_PORT);
if (!port) {
    console.error('VENDURE_PORT is required');
    process.exit(2);
}

const config = {
    apiOptions: {
        hostname: '127.0.0.1',
        port,
        adminApiPath: 'admin-api',
        shopApiPath: 'shop-api',
    },
    authOptions: {
        tokenMethod: ['bearer', 'cookie'],
        superadminCredentials: {
            identifier: 'superadmin',
            password: process.env.VENDURE_ADMIN_PASSWORD || 'superadmin',
        },
        cookieOptions: { secret: 'stockledger-test-store' },
    },
    dbConnectionOptions: {
        type: 'postgres',
        synchronize: true,
        logging: false,
        host: process.env.PGHOST || '127.0.0.1',
        port: Number(process.env.PGPORT || 5432),
        username: process.env.PGUSER || 'postgres',
        password: process.env.PGPASSWORD || '',
        database: process.env.VENDURE_DB || 'vendure',
    },
    paymentOptions: { paymentMethodHandlers: [dummyPaymentHandler] },
    logger: new DefaultLogger({ level: LogLevel.Error }),
    plugins: [StockledgerGuardPlugin],
};

bootstrap(config)
    .then(() => console.log(`READY ${port}`))
    .catch(err => {
        console.error(err);
        process.exit(1);
    });
