// Stockledger's companion plugin for Vendure: a guarded stock write.
//
// Vendure's own `updateProductVariants` sets stockOnHand absolutely with no check, so a
// writeback could overwrite a sale (an allocation or a fulfilment) the store made after
// Stockledger read the level. This plugin adds one Admin API mutation that, per stock level,
// locks the row in a transaction, compares it with what the caller read (stockOnHand and
// stockAllocated), and only then adjusts stockOnHand through StockMovementService (so a
// StockAdjustment movement is recorded as usual). A level that changed is left alone and
// reported with its current values: the caller reads again and decides.
//
// Plain JS: the decorators are applied by hand.
'use strict';
const {
    VendurePlugin,
    PluginCommonModule,
    TransactionalConnection,
    StockMovementService,
    StockLevel,
    Ctx,
    Allow,
    Permission,
    Transaction,
} = require('@vendure/core');
const { Resolver, Mutation, Args } = require('@nestjs/graphql');
const { gql } = require('graphql-tag');

const schema = gql`
    input StockledgerGuardedStockInput {
        productVariantId: ID!
        stockLocationId: ID!
        expectedOnHand: Int
        expectedAllocated: Int
        stockOnHand: Int!
    }
    type StockledgerGuardedStockResult {
        productVariantId: ID!
        stockLocationId: ID!
        applied: Boolean!
        stockOnHand: Int!
        stockAllocated: Int!
    }
    extend type Mutation {
        stockledgerSetStockLevels(
            input: [StockledgerGuardedStockInput!]!
        ): [StockledgerGuardedStockResult!]!
    }
`;

class GuardedStockResolver {
    constructor(connection, stockMovementService) {
        this.connection = connection;
        this.stockMovementService = stockMovementService;
    }

    async stockledgerSetStockLevels(ctx, args) {
        const results = [];
        for (const item of args.input) {
            const level = await this.connection
                .getRepository(ctx, StockLevel)
                .createQueryBuilder('level')
                .setLock('pessimistic_write')
                .where('level.productVariantId = :variant AND level.stockLocationId = :location', {
                    variant: item.productVariantId,
                    location: item.stockLocationId,
                })
                .getOne();
            const onHand = level ? level.stockOnHand : 0;
            const allocated = level ? level.stockAllocated : 0;
            const matches =
                (item.expectedOnHand == null || item.expectedOnHand === onHand) &&
                (item.expectedAllocated == null || item.expectedAllocated === allocated);
            if (matches && onHand !== item.stockOnHand) {
                await this.stockMovementService.adjustProductVariantStock(
                    ctx,
                    item.productVariantId,
                    [{ stockLocationId: item.stockLocationId, stockOnHand: item.stockOnHand }],
                );
            }
            results.push({
                productVariantId: item.productVariantId,
                stockLocationId: item.stockLocationId,
                applied: matches,
                stockOnHand: matches ? item.stockOnHand : onHand,
                stockAllocated: allocated,
            });
        }
        return results;
    }
}

Reflect.decorate(
    [Reflect.metadata('design:paramtypes', [TransactionalConnection, StockMovementService])],
    GuardedStockResolver,
);
Ctx()(GuardedStockResolver.prototype, 'stockledgerSetStockLevels', 0);
Args()(GuardedStockResolver.prototype, 'stockledgerSetStockLevels', 1);
Reflect.decorate(
    [Transaction(), Mutation(), Allow(Permission.UpdateCatalog)],
    GuardedStockResolver.prototype,
    'stockledgerSetStockLevels',
    Object.getOwnPropertyDescriptor(GuardedStockResolver.prototype, 'stockledgerSetStockLevels'),
);
Resolver()(GuardedStockResolver);

class StockledgerGuardPlugin {}
VendurePlugin({
    imports: [PluginCommonModule],
    adminApiExtensions: { schema, resolvers: [GuardedStockResolver] },
    compatibility: '^3.0.0',
})(StockledgerGuardPlugin);

module.exports = { StockledgerGuardPlugin };
